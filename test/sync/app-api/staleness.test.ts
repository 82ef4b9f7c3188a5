import { describe, expect, it } from 'vitest';
import { computeStaleness, FRESH_MS, LIVE_CONFIRM_MS } from '../../../sync/app-api/ui-model.js';

const MIN = 60_000;
const base = { issuedAt: 0, expiresAt: 30 * MIN, connection: 'online' as const, sessionExpired: false };

describe('computeStaleness', () => {
  it('is live while the stream was confirmed within LIVE_CONFIRM_MS: age from the last keep-alive, not the token', () => {
    expect(computeStaleness({ ...base, now: 20 * MIN, liveConfirmedAt: 20 * MIN - 5_000 })).toEqual({
      state: 'live',
      ageMs: 5_000,
      tokenRemainingMs: 10 * MIN,
      ttlMs: 30 * MIN,
      worstCaseMs: LIVE_CONFIRM_MS,
    });
    // A silent stream stops being live: back to judging by the last confirmation.
    expect(
      computeStaleness({ ...base, now: 20 * MIN, liveConfirmedAt: 20 * MIN - LIVE_CONFIRM_MS - 1 }).state,
    ).toBe('fresh');
    expect(computeStaleness({ ...base, now: 20 * MIN, liveConfirmedAt: 18 * MIN }).state).toBe('aging');
    // The server ends a stream at token expiry: an expired token is shown as such.
    expect(computeStaleness({ ...base, now: 31 * MIN, liveConfirmedAt: 31 * MIN }).state).toBe(
      'token-expired',
    );
    // Never live while not online, even with a recent confirmation.
    expect(
      computeStaleness({ ...base, now: 20 * MIN, liveConfirmedAt: 20 * MIN, connection: 'unreachable' })
        .state,
    ).toBe('offline');
  });
  it('is fresh only within FRESH_MS of the server confirming the data, with the age and time left', () => {
    expect(computeStaleness({ ...base, now: FRESH_MS }).state).toBe('fresh');
    // With 30-minute tokens and no push, 5 (or 27) minutes old is not fresh.
    expect(computeStaleness({ ...base, now: 27 * MIN }).state).toBe('aging');
    expect(computeStaleness({ ...base, now: 5 * MIN })).toEqual({
      state: 'aging',
      ageMs: 5 * MIN,
      tokenRemainingMs: 25 * MIN,
      ttlMs: 30 * MIN,
      worstCaseMs: 30 * MIN,
    });
  });
  it('is never fresh while the server fails; aging past a minute, token-expired past expiry', () => {
    expect(computeStaleness({ ...base, now: 1_000, connection: 'failing' })).toMatchObject({
      state: 'server-failing',
      worstCaseMs: null,
    });
    expect(computeStaleness({ ...base, now: 1_000, connection: 'unreachable' }).state).toBe('offline');
    expect(computeStaleness({ ...base, now: 16 * MIN }).state).toBe('aging');
    expect(computeStaleness({ ...base, now: 31 * MIN })).toMatchObject({
      state: 'token-expired',
      tokenRemainingMs: -MIN,
    });
  });
  it('bounds the worst case by the scheduled renewal while online', () => {
    expect(computeStaleness({ ...base, now: MIN, nextRenewalAt: 27 * MIN }).worstCaseMs).toBe(27 * MIN);
    // Past the bound (renewal late), the age itself is the bound.
    expect(computeStaleness({ ...base, now: 40 * MIN, nextRenewalAt: 27 * MIN }).worstCaseMs).toBe(40 * MIN);
  });
  it('is offline (unbounded) without a connection, and session-expired above all', () => {
    expect(computeStaleness({ ...base, now: MIN, connection: 'offline' })).toMatchObject({
      state: 'offline',
      worstCaseMs: null,
    });
    expect(computeStaleness({ ...base, now: MIN, connection: 'offline', sessionExpired: true }).state).toBe(
      'session-expired',
    );
  });
  it('says no-data before anything is cached', () => {
    expect(computeStaleness({ now: 0, connection: 'online', sessionExpired: false }).state).toBe('no-data');
  });
});
