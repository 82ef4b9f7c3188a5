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

/** Errors belong to a connection that is not healthy: an online engine's old error is not shown. */
export function currentError(status: ClientStatus): string | null {
  return status.connection === 'online' && status.session !== 'expired' ? null : status.lastError;
}

export const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
