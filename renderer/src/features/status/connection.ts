import type { ClientStatus } from '../../../../sync/app-api/status.js';

export function connectionLabel(status: ClientStatus): string {
  if (status.syncing) return 'Syncing…';
  switch (status.connection) {
    case 'online':
      return 'Online';
    case 'offline':
      return 'Offline';
    case 'unreachable':
      return 'Server unreachable';
    case 'failing':
      return 'Server failing';
    default:
      return 'Connecting…';
  }
}

/** "retrying in 12 s", or "retrying…" once the time has come. */
export function retryText(retryAt: number | null, now: number): string | null {
  if (retryAt === null) return null;
  const s = Math.ceil((retryAt - now) / 1000);
  return s > 0 ? `retrying in ${s} s` : 'retrying…';
}

/**
 * The error worth showing now: only while the server is unreachable or failing. An online
 * engine's old error is stale; being offline or an expired session is explained by its banner.
 */
export function currentError(status: ClientStatus): string | null {
  const broken = status.connection === 'unreachable' || status.connection === 'failing';
  return broken && status.session !== 'expired' ? status.lastError : null;
}

export const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
