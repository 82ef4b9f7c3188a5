/**
 * The renderer's one status vocabulary: what the engine's status means for the user, in the
 * words and tones the banners, the status bar, the announcer and the outbox panel share. Pure.
 */
import type { ClientStatus } from '../../../../sync/app-api/ui-model.js';

type Facts = Partial<Pick<ClientStatus, 'session' | 'connection' | 'tester' | 'syncing'>>;

export const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** The session expired: nothing syncs until the same user logs in again. Asked here only. */
export const isSessionExpired = (status: Pick<ClientStatus, 'session'>) => status.session === 'expired';

/**
 * What keeps edits from reaching the server now, first cause first; null when nothing does. The
 * tester's switch outranks what the last probe concluded: it is a state the user chose.
 */
export type Blocker = 'session-expired' | 'tester-offline' | 'offline' | 'unreachable' | 'failing';

export function blockerOf(status: Facts): Blocker | null {
  if (status.session === 'expired') return 'session-expired';
  if (status.tester?.offline) return 'tester-offline';
  if (status.connection === 'offline') return 'offline';
  if (status.connection === 'unreachable' || status.connection === 'failing') return status.connection;
  return null;
}

/** The CSS tone of the connection (`statusbar__conn--<tone>`). */
export type Tone = 'online' | 'connecting' | 'syncing' | 'offline' | 'unreachable' | 'failing' | 'expired';

/** The connection in a few words, with its tone; `syncing: false` leaves out "Syncing…" (the announcer). */
export function connectionWords(status: Facts): { label: string; tone: Tone } {
  const blocker = blockerOf(status);
  if (blocker === 'session-expired') return { label: 'Session expired', tone: 'expired' };
  if (blocker === 'tester-offline') return { label: 'Offline (tester switch)', tone: 'offline' };
  if (status.syncing) return { label: 'Syncing…', tone: 'syncing' };
  switch (status.connection) {
    case 'online':
      return { label: 'Online', tone: 'online' };
    case 'offline':
      return { label: 'Offline', tone: 'offline' };
    case 'unreachable':
      return { label: 'Server unreachable', tone: 'unreachable' };
    case 'failing':
      return { label: 'Server failing', tone: 'failing' };
    default:
      return { label: 'Connecting…', tone: 'connecting' };
  }
}

/**
 * "retrying in 12 s", or "retrying…" once the time has come; null while nothing is retried on
 * its own (online, the session expired, the tester's switch holds the app offline).
 */
export function retryText(status: Facts & Pick<ClientStatus, 'retryAt'>, now: number): string | null {
  const blocker = blockerOf(status);
  if (status.retryAt === null || status.connection === 'online') return null;
  if (blocker === 'session-expired' || blocker === 'tester-offline') return null;
  const s = Math.ceil((status.retryAt - now) / 1000);
  return s > 0 ? `retrying in ${s} s` : 'retrying…';
}

/**
 * The error worth showing now: only while the server is unreachable or failing. An online
 * engine's old error is stale; being offline (tester's switch included) or an expired session is
 * a state its banner explains, not an error.
 */
export function currentError(status: Facts & Pick<ClientStatus, 'lastError'>): string | null {
  const blocker = blockerOf(status);
  return blocker === 'unreachable' || blocker === 'failing' ? status.lastError : null;
}

/** The live subscription in a few words (status bar). */
export function liveWords(state: ClientStatus['live']['state']): string {
  switch (state) {
    case 'open':
      return 'Live updates on';
    case 'connecting':
      return 'Live updates connecting…';
    case 'reconnecting':
      return 'Live updates reconnecting…';
    case 'unsupported':
      return 'No live updates (server): refreshed at renewal';
    default:
      return 'Live updates off';
  }
}

/** " Your 2 edits are kept on this device." (with its leading space), or nothing. */
export function keptText(pending: number): string {
  if (pending === 0) return '';
  return ` Your ${plural(pending, 'edit')} ${pending === 1 ? 'is' : 'are'} kept on this device.`;
}

/** Why the outbox cannot send now, in one sentence; null when nothing blocks it. */
export function cannotSendText(status: Facts & Partial<Pick<ClientStatus, 'lastError'>>): string | null {
  switch (blockerOf(status)) {
    case 'session-expired':
      return "Can't send: your session expired. Log in again; the edits are kept.";
    case 'tester-offline':
      return "Can't send now: offline (tester switch). The edits are kept and sent when you go online.";
    case 'offline':
      return "Can't send now: this device is offline. The edits are kept and sent when the connection is back.";
    case 'unreachable':
    case 'failing':
      return `Not sent: ${status.connection === 'failing' ? 'the server answers with errors' : "the server can't be reached"}${status.lastError ? ` (${status.lastError})` : ''}. The app keeps retrying.`;
    default:
      return null;
  }
}
