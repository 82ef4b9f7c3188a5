/** Honest status against the real server: failing backends, device clock skew, one set of counts. */
import { describe, expect, it } from 'vitest';
import { SwitchableNetwork, settled, waitForStatus, withStack } from '../../helpers/client.js';
import { registerAccount } from '../../helpers/server.js';

const TTL_SECONDS = 600;
const HOUR = 3_600_000;
const stack = withStack({ accessTokenTtlSeconds: TTL_SECONDS });

async function loggedIn(net = new SwitchableNetwork()) {
  // Renewal-driven staleness (no live push: test/sync/client/live.test.ts covers "live").
  const c = stack.client({ net, live: false });
  await c.logIn(await registerAccount(stack.server));
  await settled(c);
  return { c, net };
}

const renewals = (net: SwitchableNetwork) =>
  net.requests.filter((r) => r === 'POST /api/client/v2.0/auth/session').length;

/** Advances time in steps, letting the engine react between them. */
async function run(ms: number, step = 1_000): Promise<void> {
  for (let t = 0; t < ms; t += step) {
    stack.time.advance(step);
    await new Promise((r) => setImmediate(r));
  }
}

describe('honest status', () => {
  it('while every request fails with 5xx: "failing" with the error and the next retry, never fresh; clears when back', async () => {
    const { c, net } = await loggedIn();
    expect(c.status.staleness.state).toBe('fresh');
    net.failing = { to: /./, status: 500 };
    await c.set('color', 'red');
    const failing = await waitForStatus(c, (s) => s.connection === 'failing' && !s.syncing);
    expect(failing.lastError).toMatch(/backend failing/);
    expect(failing.retryAt).toBeGreaterThan(stack.time.now());
    expect(failing.staleness.state).toBe('server-failing');
    expect(failing.pendingCount).toBe(1);
    await run(30_000);
    expect(c.status.connection).toBe('failing');
    expect(c.staleness().state).not.toBe('fresh');
    net.failing = undefined;
    await run(120_000, 5_000);
    const back = await waitForStatus(
      c,
      (s) => s.connection === 'online' && s.pendingCount === 0 && !s.syncing,
    );
    expect(back.lastError).toBeNull();
    expect(back.retryAt).toBeNull();
  });

  it('"fresh" means confirmed by the server within a minute: older data is aging even online', async () => {
    const { c } = await loggedIn();
    expect(c.staleness().state).toBe('fresh');
    stack.time.advance(61_000);
    expect(c.staleness().state).toBe('aging');
    await c.refreshCustomData();
    expect(c.staleness().state).toBe('fresh');
  });

  it.each([HOUR, -HOUR])(
    'device clock off by %i ms: no renewal storm, no false fresh or expired, renewals on server time',
    async (skew) => {
      const { c, net } = await loggedIn();
      const before = renewals(net);
      c.tester.setClockSkew(skew);
      expect(c.status.deviceClockOffMs).toBe(skew);
      expect(c.staleness().state).toBe('fresh');
      await run(61_000);
      expect(renewals(net) - before).toBe(0);
      expect(c.staleness().state).toBe('aging');
      // The renewal happens before expiry in server time (exp − 60 s), not an hour early or late.
      const issuedAt = c.status.token?.issuedAt as number;
      await run((TTL_SECONDS - 60) * 1000 - 61_000 - 2_000);
      expect(renewals(net) - before).toBe(0);
      await run(4_000);
      await waitForStatus(c, (s) => (s.token?.issuedAt ?? 0) > issuedAt);
      expect(renewals(net) - before).toBe(1);
      expect(c.staleness().state).toBe('fresh');
      expect(c.status.deviceClockOffMs).toBe(skew);
    },
  );

  it('a refused edit counts as refused, not pending, in the one status value the outbox and the bar share', async () => {
    const { c } = await loggedIn();
    await c.set('userId', 'someone-else');
    const s = await waitForStatus(c, (st) => st.rejectedCount === 1 && !st.syncing);
    const entries = c.outbox.list();
    expect(s.pendingCount).toBe(entries.filter((e) => e.rejectedReason === null).length);
    expect(s.rejectedCount).toBe(entries.filter((e) => e.rejectedReason !== null).length);
    expect([s.pendingCount, s.rejectedCount]).toEqual([0, 1]);
  });
});
