/**
 * Staleness of the displayed custom data, as a pure function of the clock and the token that
 * carried it. The data is a snapshot taken when the token was issued (`iat`): its age is how
 * stale it may be now. While online, the engine renews the token before `exp`, so the worst
 * case is bounded by the time from `iat` to the scheduled renewal; offline it is unbounded.
 */
export type StalenessState = 'fresh' | 'aging' | 'token-expired' | 'offline' | 'session-expired' | 'no-data';

export interface StalenessInput {
  now: number;
  /** Token issue and expiry times in ms; undefined when no data is cached. */
  issuedAt?: number;
  expiresAt?: number;
  online: boolean;
  sessionExpired: boolean;
  /** When the engine will next renew the token, if scheduled (ms since epoch). */
  nextRenewalAt?: number;
}

export interface Staleness {
  state: StalenessState;
  /** How old the snapshot is (ms). */
  ageMs: number | null;
  /** Token time left (ms, ≤ 0 when expired). */
  tokenRemainingMs: number | null;
  /** Token lifetime (ms). */
  ttlMs: number | null;
  /** Upper bound of staleness before the next automatic renewal; null = unbounded (offline, expired session). */
  worstCaseMs: number | null;
}

/** Past this fraction of the token lifetime the data is shown as "aging". */
export const AGING_FRACTION = 0.5;

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
  const ageMs = Math.max(0, input.now - input.issuedAt);
  const ttlMs = input.expiresAt - input.issuedAt;
  const tokenRemainingMs = input.expiresAt - input.now;
  const renewal = input.nextRenewalAt ?? input.expiresAt;
  const bounded = input.online && !input.sessionExpired;
  const worstCaseMs = bounded ? Math.max(ageMs, renewal - input.issuedAt) : null;
  let state: StalenessState;
  if (input.sessionExpired) state = 'session-expired';
  else if (!input.online) state = 'offline';
  else if (tokenRemainingMs <= 0) state = 'token-expired';
  else if (ageMs > ttlMs * AGING_FRACTION) state = 'aging';
  else state = 'fresh';
  return { state, ageMs, tokenRemainingMs, ttlMs, worstCaseMs };
}
