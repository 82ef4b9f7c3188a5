/**
 * Exactly once under database faults: a loopback proxy between the backend and MongoDB cuts the
 * connection while `applyCustomDataEdits` writes — before the write reaches MongoDB, and after
 * MongoDB applied it but before the reply. The backend must answer 503 (transient), the client
 * must keep the batch and re-send it unchanged, and every counter must land exactly once.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { CustomDataClient } from '../../../sync/client/index.js';
import { SwitchableNetwork, settled, tempDir, waitForStatus, withStack } from '../../helpers/client.js';
import { raw, registerAccount } from '../../helpers/server.js';
import { TcpProxy } from '../../helpers/tcp-proxy.js';

let proxy: TcpProxy;

// Registered before the stack's hooks: the proxy starts before the server and stops after it.
beforeAll(async () => {
  proxy = TcpProxy.forUri(inject('mongodbUri'));
  await proxy.start();
});
afterAll(async () => {
  await proxy?.stop();
});
const stack = withStack(() => ({
  mongodbUri: proxy.uri(),
  accessTokenTtlSeconds: 600,
  userCreationFunction: 'createCustomUserData',
}));

/** Queues `n` increments of `launches` offline, so they go as one batch. */
async function queueIncrements(c: CustomDataClient, n: number): Promise<void> {
  await c.tester.setOffline(true);
  for (let i = 0; i < n; i++) await c.increment('launches', 1);
}

const failedOnce = (c: CustomDataClient) =>
  waitForStatus(c, (s) => !s.syncing && c.outbox.list().some((e) => e.attempts >= 1));

/** Lets the engine's retry timer fire (backoff is at most a minute). */
async function retryUntilSettled(c: CustomDataClient): Promise<void> {
  for (let i = 0; i < 10 && c.status.pendingCount > 0; i++) {
    stack.time.advance(60_000);
    await waitForStatus(c, (s) => !s.syncing).catch(() => undefined);
    await new Promise((r) => setImmediate(r));
    if (c.status.pendingCount > 0) await c.flush();
  }
  await settled(c);
}

describe('exactly once when the backend loses MongoDB mid-write', () => {
  it.each(['request', 'response'] as const)(
    'cut at the %s: 503, the batch is kept and re-sent, the counter lands once',
    async (at) => {
      const c = stack.client();
      const user = await c.logIn(await registerAccount(stack.server));
      await settled(c);
      await queueIncrements(c, 5);
      proxy.cutNext('findAndModify', at);
      const cutsBefore = proxy.cutCount[at];
      await c.tester.setOffline(false);
      const failed = await failedOnce(c);
      expect(proxy.cutCount[at]).toBe(cutsBefore + 1);
      // Transient, not a verdict: nothing set aside, the error is shown, a retry is scheduled.
      expect(failed.rejectedCount).toBe(0);
      expect(c.outbox.list().every((e) => e.rejectedReason === null && e.inFlight)).toBe(true);
      expect(c.status.lastError).toMatch(/unavailable/i);
      const landed = (await stack.server.customData.findOne({ userId: user.id }))?.launches;
      expect(landed).toBe(at === 'request' ? undefined : 5);
      await retryUntilSettled(c);
      expect((await stack.server.customData.findOne({ userId: user.id }))?.launches).toBe(5);
      expect(c.customData?.launches).toBe(5);
      expect(c.status.lastError).toBeNull();
    },
  );

  it('cuts, lost answers, a kill and a restart in a row: still exactly once', async () => {
    const dataDir = tempDir();
    const net = new SwitchableNetwork();
    let c = stack.client({ net, dataDir });
    const user = await c.logIn(await registerAccount(stack.server));
    await settled(c);
    await queueIncrements(c, 5);
    // First send: MongoDB applies it, the backend never hears back (503).
    proxy.cutNext('findAndModify', 'response');
    await c.tester.setOffline(false);
    await failedOnce(c);
    // Second send: the backend answers, the client never hears back.
    net.loseNextResponseTo = /functions\/call$/; // the batch, not the live watch
    await c.flush().catch(() => undefined);
    await waitForStatus(c, (s) => !s.syncing);
    // The app is killed with the batch unacknowledged, and a new edit is queued after restart.
    await stack.close(c);
    c = stack.client({ net, dataDir });
    await c.increment('launches', 10);
    proxy.cutNext('findAndModify', 'request');
    await retryUntilSettled(c);
    expect((await stack.server.customData.findOne({ userId: user.id }))?.launches).toBe(15);
    expect(c.customData?.launches).toBe(15);
    expect(c.status.rejectedCount).toBe(0);
  });

  it('answers 503 ServiceUnavailable for a function whose database call is cut, not 400', async () => {
    const c = stack.client();
    await c.logIn(await registerAccount(stack.server));
    await settled(c);
    const token = (c as unknown as { session: { accessToken: string } }).session.accessToken;
    proxy.cutNext('findAndModify', 'request');
    const res = await raw(
      stack.server,
      'POST',
      `/api/client/v2.0/app/${stack.server.config.appId}/functions/call`,
      {
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          name: 'applyCustomDataEdits',
          arguments: [{ deviceId: 'device-12345678', seq: 1, ops: [{ op: 'inc', path: 'n', value: 1 }] }],
        }),
      },
    );
    expect(res.status).toBe(503);
    expect(res.body.error_code).toBe('ServiceUnavailable');
  });
});
