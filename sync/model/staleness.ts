/**
 * The one staleness computation: how old the user's data is and how far it can be trusted, from
 * what the engine knows. Pure; the engine and the UI both call it.
 */
import type { ClientStatus, Connection } from './client-status.js';
import { LIVE_CONFIRM_MS } from './keep-alive.js';

/**
 * Staleness states, from what the engine knows: the age of the data is the time since the server
 * last confirmed it (the `iat` of the token that carried it, or the answer to an edit batch,
 * which carries the document), in server time.
 * - `live`: the push subscription is open and confirmed by a keep-alive or event within
 *   `LIVE_CONFIRM_MS`: another writer's change arrives within about a second; age counts from the
 *   last confirmation;
 * - `fresh`: confirmed within the last `FRESH_MS` and the server is reachable and healthy;
 * - `aging`: older than that (without push, another writer's change may be missing), server healthy;
 * - `token-expired`: the token expired and was not renewed yet;
 * - `server-failing`: the server answers with errors: the data is not being confirmed;
 * - `offline`: no connection to the server (offline, unreachable, connecting);
 * - `session-expired`: the refresh token was refused — log in again;
 * - `no-data`: nothing cached.
 */
export type StalenessState =
  | 'live'
  | 'fresh'
  | 'aging'
  | 'token-expired'
  | 'server-failing'
  | 'offline'
  | 'session-expired'
  | 'no-data';

/** Data confirmed by the server at most this long ago is "fresh". */
export const FRESH_MS = 60_000;

export interface StalenessInput {
  /** Server time now (ms). */
  now: number;
  /** Token issue and expiry times in ms; undefined when no data is cached. */
  issuedAt?: number;
  expiresAt?: number;
  /** When the server last confirmed the data otherwise (an acknowledged batch's answer), server time. */
  confirmedAt?: number;
  connection: Connection;
  sessionExpired: boolean;
  /** When the engine will next renew the token, if scheduled (ms since epoch). */
  nextRenewalAt?: number;
  /** Last confirmation of the open live subscription (server time); undefined when not open. */
  liveConfirmedAt?: number;
}

export interface Staleness {
  state: StalenessState;
  /** Time since the server confirmed the data (ms). */
  ageMs: number | null;
  /** Token time left (ms, ≤ 0 when expired). */
  tokenRemainingMs: number | null;
  /** Token lifetime (ms). */
  ttlMs: number | null;
  /** Upper bound of staleness before the next automatic renewal; null = unbounded (not online, expired session). */
  worstCaseMs: number | null;
}

export function computeStaleness(input: StalenessInput): Staleness {
  if (input.issuedAt === undefined || input.expiresAt === undefined) {
    return {
      state: input.sessionExpired ? 'session-expired' : 'no-data',
      ageMs: null,
      tokenRemainingMs: null,
      ttlMs: null,
      worstCaseMs: null,
    };
  }
  const ageMs = Math.max(
    0,
    input.now -
      Math.max(input.issuedAt, input.confirmedAt ?? input.issuedAt, input.liveConfirmedAt ?? input.issuedAt),
  );
  const ttlMs = input.expiresAt - input.issuedAt;
  const tokenRemainingMs = input.expiresAt - input.now;
  const renewal = input.nextRenewalAt ?? input.expiresAt;
  const online = input.connection === 'online';
  const live =
    online && input.liveConfirmedAt !== undefined && input.now - input.liveConfirmedAt <= LIVE_CONFIRM_MS;
  // Live: a change is pushed at once; a silent stream is noticed after LIVE_CONFIRM_MS.
  const worstCaseMs =
    online && !input.sessionExpired
      ? live
        ? Math.max(ageMs, LIVE_CONFIRM_MS)
        : Math.max(ageMs, renewal - input.issuedAt)
      : null;
  let state: StalenessState;
  if (input.sessionExpired) state = 'session-expired';
  else if (input.connection === 'failing') state = 'server-failing';
  else if (!online) state = 'offline';
  else if (tokenRemainingMs <= 0) state = 'token-expired';
  // The server ends a stream when its token expires: an expired token outranks "live".
  else if (live) state = 'live';
  else if (ageMs > FRESH_MS) state = 'aging';
  else state = 'fresh';
  return { state, ageMs, tokenRemainingMs, ttlMs, worstCaseMs };
}

/** The parts of a status staleness depends on. */
export type StalenessSource = Pick<
  ClientStatus,
  'serverTimeOffsetMs' | 'token' | 'lastSyncedAt' | 'connection' | 'session' | 'live'
>;

/**
 * Staleness of a status at a host time (`Date.now()`): the engine's `status.staleness` at the emit
 * time, and what a UI recomputes on its clock tick.
 */
export function stalenessAt(status: StalenessSource, hostNow: number): Staleness {
  return computeStaleness({
    now: hostNow + status.serverTimeOffsetMs,
    issuedAt: status.token?.issuedAt,
    expiresAt: status.token?.expiresAt,
    confirmedAt: status.lastSyncedAt ?? undefined,
    connection: status.connection,
    sessionExpired: status.session === 'expired',
    nextRenewalAt: status.token?.nextRenewalAt ?? undefined,
    liveConfirmedAt: status.live?.state === 'open' ? (status.live.confirmedAt ?? undefined) : undefined,
  });
}
