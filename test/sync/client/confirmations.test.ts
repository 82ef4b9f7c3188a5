/**
 * Ordering of what confirms the cached data, and of server time, against the real server:
 * an older renewal answer never overwrites a newer pushed change; renewal keeps its schedule
 * while slow batches are in flight; a token's `iat` alone measures a wrong device clock.
 */
import { describe, expect, it } from 'vitest';
import type { ClientStatus } from '../../../sync/client/index.js';
import type { FetchLike } from '../../../sync/client/ports.js';
import { SwitchableNetwork, settled, waitForStatus, withStack } from '../../helpers/client.js';
import { registerAccount } from '../../helpers/server.js';

const TTL_SECONDS = 60;
const HOUR = 3_600_000;
const stack = withStack({
  accessTokenTtlSeconds: TTL_SECONDS,
  userCreationFunction: 'createCustomUserData',
});

/** A gate the test opens: requests matching `to` reach the server, their answers wait. */
class DelayingNetwork extends SwitchableNetwork {
  stripDateHeader = false;
  private answers: { to: RegExp; gate: Promise<void>; answered: () => void } | undefined;
  answered = 0;
  constructor() {
    super();
    const inner: FetchLike = this.fetch;
    this.fetch = async (url, init) => {
      const response = await inner(url, init);
      const held = this.answers;
      if (held?.to.test(url) && init?.method === 'POST') {
        held.answered();
        await held.gate;
      }
      if (!this.stripDateHeader) return response;
      const headers = new Headers(response.headers);
      headers.delete('date');
      return new Response(await response.arrayBuffer(), { status: response.status, headers });
    };
  }
  /** Answers to matching requests (already processed by the server) wait until `release()`. */
  holdAnswers(to: RegExp): { processed: Promise<void>; release: () => void } {
    let release!: () => void;
    let processed!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const processedPromise = new Promise<void>((resolve) => {
      processed = resolve;
    });
    this.answers = {
      to,
      gate,
      answered: () => {
        this.answered += 1;
        processed();
      },
    };
    return {
      processed: processedPromise,
      release: () => {
        this.answers = undefined;
        release();
      },
    };
  }
}

const isLive = (s: ClientStatus) => s.live.state === 'open' && s.live.confirmedAt !== null;
const renewalPath = /auth\/session$/;
const renewals = (net: SwitchableNetwork) =>
  net.requests.filter((r) => r === 'POST /api/client/v2.0/auth/session').length;

describe('what confirms the data, in order', () => {
  it('a renewal sent before a pushed change and answered after it does not bring the old value back', async () => {
    const net = new DelayingNetwork();
    const c = stack.client({ net });
    const user = await c.logIn(await registerAccount(stack.server));
    await waitForStatus(c, isLive);
    await stack.server.customData.updateOne({ userId: user.id }, { $set: { color: 'old' } });
    await waitForStatus(c, () => c.customData?.color === 'old');

    const renewal = net.holdAnswers(renewalPath);
    const refreshing = c.refreshCustomData();
    // The server issued the token (user_data: color "old"); its answer is still on the way.
    await renewal.processed;
    await stack.server.customData.updateOne({ userId: user.id }, { $set: { color: 'new' } });
    await waitForStatus(c, () => c.customData?.color === 'new');
    const issuedBefore = c.status.token?.issuedAt as number;
    stack.time.advance(2_000);
    renewal.release();
    await refreshing;

    expect(c.customData?.color).toBe('new');
    expect(c.view.data.color).toBe('new');
    // The token itself is the new one: its times are taken.
    expect(c.status.token?.issuedAt).toBeGreaterThanOrEqual(issuedBefore);
    // A later renewal (sent after the push) carries the new value too.
    await c.refreshCustomData();
    expect(c.customData?.color).toBe('new');
  });

  it('the token is renewed on schedule while slow edit batches are in flight', async () => {
    const net = new DelayingNetwork();
    const c = stack.client({ net, live: false });
    await c.logIn(await registerAccount(stack.server));
    await settled(c);
    const firstIssued = c.status.token?.issuedAt as number;
    const renewalsBefore = renewals(net);

    // A slow server: the batch is applied, its answer takes longer than the token's renewal margin.
    const batch = net.holdAnswers(/functions\/call$/);
    await c.set('favoriteColor', 'green');
    await batch.processed;
    expect(c.status.syncing).toBe(true);
    const renewed = waitForStatus(c, (s) => (s.token?.issuedAt ?? 0) > firstIssued);
    stack.time.advance(TTL_SECONDS * 1000 - 5_000); // past the scheduled renewal (exp − 6 s), before expiry
    const during = await renewed;
    // Renewed while the batch still waits for its answer: the flush did not hold it back.
    expect(during.syncing).toBe(true);
    expect(during.pendingCount).toBe(1);
    expect(renewals(net) - renewalsBefore).toBe(1);
    expect(during.staleness.state).not.toBe('token-expired');

    batch.release();
    const done = await settled(c);
    expect(done.lastError).toBeNull();
    expect(c.customData?.favoriteColor).toBe('green');
    // The next renewal is scheduled from the renewed token, not from the one before the flush.
    expect(done.token?.nextRenewalAt).toBeGreaterThan(firstIssued + TTL_SECONDS * 1000);
  });

  it.each([HOUR, -HOUR])(
    "device clock off by %i ms and no Date header: the token's iat measures it, renewals keep server time",
    async (skew) => {
      const net = new DelayingNetwork();
      net.stripDateHeader = true;
      const c = stack.client({ net, live: false });
      c.tester.setClockSkew(skew);
      await c.logIn(await registerAccount(stack.server));
      await settled(c);
      // Measured from the token alone (iat has a 1 s resolution).
      expect(Math.abs(c.status.deviceClockOffMs - skew)).toBeLessThanOrEqual(1_000);
      expect(c.staleness().state).toBe('fresh');
      const issuedAt = c.status.token?.issuedAt as number;
      expect(c.status.token?.nextRenewalAt).toBe(issuedAt + (TTL_SECONDS - 6) * 1000);
      const before = renewals(net);
      for (let t = 0; t < 10; t++) {
        stack.time.advance(1_000);
        await new Promise((r) => setImmediate(r));
      }
      // No renewal storm (+1 h) and no renewal an hour late (−1 h).
      expect(renewals(net) - before).toBe(0);
      const renewed = waitForStatus(c, (s) => (s.token?.issuedAt ?? 0) > issuedAt);
      stack.time.advance((TTL_SECONDS - 10) * 1000);
      await renewed;
      expect(renewals(net) - before).toBe(1);
      expect(c.staleness().state).toBe('fresh');
    },
  );
});
