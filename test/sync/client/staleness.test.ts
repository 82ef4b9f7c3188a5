import { describe, expect, it } from 'vitest';
import { computeStaleness } from '../../../sync/client/staleness.js';

const MIN = 60_000;
const base = { issuedAt: 0, expiresAt: 30 * MIN, online: true, sessionExpired: false };

describe('computeStaleness', () => {
  it('is fresh in the first half of the token lifetime, with the age and time left', () => {
    expect(computeStaleness({ ...base, now: 5 * MIN })).toEqual({
      state: 'fresh',
      ageMs: 5 * MIN,
      tokenRemainingMs: 25 * MIN,
      ttlMs: 30 * MIN,
      worstCaseMs: 30 * MIN,
    });
  });
  it('is aging past half the lifetime, token-expired past expiry', () => {
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
    expect(computeStaleness({ ...base, now: MIN, online: false })).toMatchObject({
      state: 'offline',
      worstCaseMs: null,
    });
    expect(computeStaleness({ ...base, now: MIN, online: false, sessionExpired: true }).state).toBe(
      'session-expired',
    );
  });
  it('says no-data before anything is cached', () => {
    expect(computeStaleness({ now: 0, online: true, sessionExpired: false }).state).toBe('no-data');
  });
});
