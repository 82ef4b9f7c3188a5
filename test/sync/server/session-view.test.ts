/**
 * The session view (sync/server/session-view): a refresh reads only the custom data while the
 * view is current, and a session revoked, logged out, deleted with its user or expired never gets
 * a new access token — at once on the instance that ended it, within 1 s (the view's 750 ms lag
 * bound) on another instance, also when that instance's change stream was down meanwhile or the
 * sessions collection was dropped.
 */
import { performance } from 'node:perf_hooks';
import type { CommandStartedEvent } from 'mongodb';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import {
  ADMIN_KEY,
  type HttpLogin,
  logInOverHttp,
  raw,
  startTestServer,
  type TestServer,
} from '../../helpers/server.js';
import { TcpProxy } from '../../helpers/tcp-proxy.js';

const BOUND_MS = 1_000;
const api = '/api/client/v2.0';
const admin = { headers: { 'x-admin-key': ADMIN_KEY } };
const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });
type Session = HttpLogin;

const logIn = logInOverHttp;

const refresh = async (server: TestServer, refreshToken: string) =>
  (await raw(server, 'POST', `${api}/auth/session`, { headers: { authorization: `Bearer ${refreshToken}` } }))
    .status;

const viewOpen = (server: TestServer) =>
  vi.waitFor(() => expect(server.sessionView.stats().state).toBe('open'), { timeout: 15_000, interval: 20 });

/** Refreshes on `server` until it answers from its view (the session is in it). */
async function heldBy(server: TestServer, refreshToken: string): Promise<void> {
  await viewOpen(server);
  await vi.waitFor(
    async () => {
      const hits = server.sessionView.stats().hits;
      expect(await refresh(server, refreshToken)).toBe(201);
      expect(server.sessionView.stats().hits).toBeGreaterThan(hits);
    },
    { timeout: 15_000, interval: 20 },
  );
}

/**
 * Refreshes on `server` back to back from the moment `ended` (real time) until 500 ms after the
 * first refusal: how long until it refused, and whether any refresh started later than the bound
 * still got a token.
 */
async function refusalDelay(server: TestServer, refreshToken: string, ended: number) {
  let firstRefusal: number | undefined;
  const lateTokens: number[] = [];
  for (;;) {
    const started = performance.now();
    const status = await refresh(server, refreshToken);
    if (status === 201 && started - ended > BOUND_MS) lateTokens.push(started - ended);
    if (status !== 201) {
      expect(status).toBe(401);
      firstRefusal ??= performance.now() - ended;
    }
    if (firstRefusal !== undefined && performance.now() - ended > firstRefusal + 500) break;
    if (performance.now() - ended > 10_000) break;
  }
  return { delayMs: firstRefusal, lateTokens };
}

describe('two instances with session views', () => {
  let a: TestServer;
  let b: TestServer;
  const seen: CommandStartedEvent[] = [];
  beforeAll(async () => {
    a = await startTestServer({ userCreationFunction: 'createCustomUserData' });
    b = await startTestServer(
      { userCreationFunction: 'createCustomUserData' },
      { shareWith: a, mongoClientOptions: { monitorCommands: true } },
    );
    b.mongo.client.on('commandStarted', (event) => seen.push(event));
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  it('a refresh answered from the view reads only the custom data: one database read', async () => {
    const session = await logIn(a);
    await heldBy(b, session.refresh_token);
    seen.length = 0;
    expect(await refresh(b, session.refresh_token)).toBe(201);
    const reads = seen
      .filter((e) => !['getMore', 'killCursors', 'endSessions'].includes(e.commandName))
      .map((e) => `${e.commandName} ${String(e.command[e.commandName])}`);
    expect(reads).toEqual([`find ${b.config.customData.collection}`]);
  });

  for (const [how, end] of [
    [
      'revoked through the admin API',
      (s: { user_id: string }) =>
        raw(a, 'POST', `/admin/v1/users/${s.user_id}/revoke-sessions`, {
          headers: { 'x-admin-key': ADMIN_KEY },
        }),
    ],
    [
      'logged out',
      (s: { refresh_token: string }) =>
        raw(a, 'DELETE', `${api}/auth/session`, { headers: { authorization: `Bearer ${s.refresh_token}` } }),
    ],
    [
      'deleted with its user',
      (s: { access_token: string }) =>
        raw(a, 'DELETE', `${api}/auth/delete`, { headers: { authorization: `Bearer ${s.access_token}` } }),
    ],
  ] as const) {
    it(`a session ${how} on A: refused on A at once, on B within 1 s and never after`, async () => {
      const session = await logIn(a);
      await heldBy(a, session.refresh_token);
      await heldBy(b, session.refresh_token);
      expect((await end(session as never)).status).toBeLessThan(300);
      const ended = performance.now();
      expect(await refresh(a, session.refresh_token)).toBe(401);
      const { delayMs, lateTokens } = await refusalDelay(b, session.refresh_token, ended);
      console.log(`session ${how} on A: refused on B after ${delayMs?.toFixed(0)} ms`);
      expect(delayMs).toBeLessThanOrEqual(BOUND_MS);
      expect(lateTokens).toEqual([]);
    });
  }

  it('an expired session is refused at once by an instance holding it', async () => {
    const session = await logIn(a);
    await heldBy(b, session.refresh_token);
    a.clock.ms += (a.config.refreshTokenTtlSeconds + 1) * 1000;
    expect(await refresh(b, session.refresh_token)).toBe(401);
    expect(await refresh(a, session.refresh_token)).toBe(401);
  });
});

describe('an instance whose change stream fails', () => {
  let a: TestServer;
  let b: TestServer;
  let proxy: TcpProxy;
  beforeAll(async () => {
    proxy = TcpProxy.forUri(inject('mongodbUri'));
    await proxy.start();
    a = await startTestServer();
    b = await startTestServer({ mongodbUri: proxy.uri() }, { shareWith: a });
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
    await proxy?.stop();
  });

  it('sessions ended through an instance leave its view at once, even while its change stream stalls', async () => {
    for (const end of [
      (s: Session) => raw(b, 'POST', `/admin/v1/users/${s.user_id}/revoke-sessions`, admin),
      (s: Session) => raw(b, 'DELETE', `${api}/auth/session`, bearer(s.refresh_token)),
      (s: Session) => raw(b, 'DELETE', `${api}/auth/delete`, bearer(s.access_token)),
    ]) {
      const session = await logIn(a);
      await heldBy(b, session.refresh_token);
      proxy.holdNext('getMore');
      await vi.waitFor(() => expect(proxy.heldCount).toBe(1), { timeout: 15_000, interval: 10 });
      expect((await end(session)).status).toBeLessThan(300);
      // Still current (its last confirmation is recent): yet it refuses.
      expect(b.sessionView.stats().lagMs).not.toBeNull();
      expect(await refresh(b, session.refresh_token)).toBe(401);
      proxy.releaseHolds();
    }
  });

  it('a stalled change stream: the view stops answering within its lag bound, a revocation elsewhere is refused within 1 s', async () => {
    const session = await logIn(a);
    await heldBy(b, session.refresh_token);
    // B's next getMore reaches MongoDB, but its answer is held back: the stream stalls, no error.
    proxy.holdNext('getMore');
    await vi.waitFor(() => expect(proxy.heldCount).toBe(1), { timeout: 15_000, interval: 10 });
    const fallbacks = b.sessionView.stats().fallbacks;
    expect(
      (
        await raw(a, 'POST', `/admin/v1/users/${session.user_id}/revoke-sessions`, {
          headers: { 'x-admin-key': ADMIN_KEY },
        })
      ).body,
    ).toEqual({ revoked: 1 });
    const ended = performance.now();
    const { delayMs, lateTokens } = await refusalDelay(b, session.refresh_token, ended);
    console.log(`revoked on A while B's change stream stalled: refused on B after ${delayMs?.toFixed(0)} ms`);
    expect(delayMs).toBeLessThanOrEqual(BOUND_MS);
    expect(lateTokens).toEqual([]);
    // Refused by the database: the view had stopped answering.
    expect(b.sessionView.stats().fallbacks).toBeGreaterThan(fallbacks);
    proxy.releaseHolds();
    await vi.waitFor(() => expect(b.sessionView.stats().lagMs).not.toBeNull(), {
      timeout: 15_000,
      interval: 20,
    });
  });

  it('reads sessions from the database while down, and forgets what it held: a revocation meanwhile is refused after', async () => {
    const session = await logIn(a);
    await heldBy(b, session.refresh_token);
    // B's stream is cut and cannot reopen.
    proxy.cutNext('aggregate', 'request', 1_000);
    proxy.cutNext('getMore', 'request', 1);
    await vi.waitFor(() => expect(b.sessionView.stats().state).toBe('down'), {
      timeout: 15_000,
      interval: 20,
    });
    const fallbacks = b.sessionView.stats().fallbacks;
    expect(await refresh(b, session.refresh_token)).toBe(201);
    expect(b.sessionView.stats().fallbacks).toBe(fallbacks + 1);
    expect(b.logs.join('\n')).toContain('session view: change stream failed');
    expect(
      (
        await raw(a, 'POST', `/admin/v1/users/${session.user_id}/revoke-sessions`, {
          headers: { 'x-admin-key': ADMIN_KEY },
        })
      ).body,
    ).toEqual({ revoked: 1 });
    // The stream comes back; it never saw the revocation, yet B refuses the session.
    proxy.clearCuts();
    await viewOpen(b);
    expect(await refresh(b, session.refresh_token)).toBe(401);
  });

  it('the sessions collection dropped: the view is emptied, the dropped sessions are refused', async () => {
    const session = await logIn(a);
    await heldBy(b, session.refresh_token);
    const dropped = performance.now();
    await a.db.db(a.config.appDatabase).collection('sessions').drop();
    const { delayMs, lateTokens } = await refusalDelay(b, session.refresh_token, dropped);
    expect(delayMs).toBeLessThanOrEqual(BOUND_MS);
    expect(lateTokens).toEqual([]);
    // A new session after the drop is served again.
    const again = await logIn(a);
    await heldBy(b, again.refresh_token);
  });
});

describe('session view disabled (SESSION_VIEW_ENABLED=false)', () => {
  let server: TestServer;
  const seen: CommandStartedEvent[] = [];
  beforeAll(async () => {
    server = await startTestServer(
      { sessionView: { enabled: false } },
      { mongoClientOptions: { monitorCommands: true } },
    );
    server.mongo.client.on('commandStarted', (event) => seen.push(event));
  });
  afterAll(() => server?.close());

  it('every refresh reads its session, then the custom data', async () => {
    const session = await logIn(server);
    for (let i = 0; i < 2; i++) {
      seen.length = 0;
      expect(await refresh(server, session.refresh_token)).toBe(201);
      expect(seen.map((e) => `${e.commandName} ${String(e.command[e.commandName])}`)).toEqual([
        'find sessions',
        `find ${server.config.customData.collection}`,
      ]);
    }
    expect(server.sessionView.stats()).toMatchObject({ state: 'disabled', hits: 0 });
  });
});
