/**
 * The per-user budget of refused requests (sync/server/refusals): past it, a user's calls are
 * answered 429 from memory — no database work, the body never read — on every instance, until
 * the minute is over; other users are not affected.
 */
import { performance } from 'node:perf_hooks';
import type { CommandStartedEvent } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { logInOverHttp, startTestServer, type TestServer } from '../../helpers/server.js';

const BUDGET = 6;
const quotas = { refusedRequestsPerUserPerMinute: BUDGET, refusedRequestsHoldMs: 0 };

async function logIn(server: TestServer): Promise<{ token: string; userId: string }> {
  const login = await logInOverHttp(server);
  return { token: login.access_token, userId: login.user_id };
}

/** A `functions/call`: status, Retry-After and Connection headers. */
async function call(server: TestServer, token: string, body: unknown) {
  const res = await fetch(`${server.url}/api/client/v2.0/app/${server.config.appId}/functions/call`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  return {
    status: res.status,
    errorCode: res.status >= 400 ? (JSON.parse(text) as { error_code?: string }).error_code : undefined,
    retryAfter: res.headers.get('retry-after'),
    connection: res.headers.get('connection'),
  };
}

const unknownFunction = { name: 'noSuchFunction', arguments: [] };
const own = (server: TestServer) => ({
  name: 'findOne',
  service: server.config.customData.serviceName,
  arguments: [
    { database: server.config.customData.database, collection: server.config.customData.collection },
  ],
});
const tooDeep = (server: TestServer) => {
  let query: unknown = 1;
  for (let i = 0; i < 150; i++) query = { a: query };
  return { ...own(server), name: 'find', arguments: [{ ...own(server).arguments[0], query }] };
};

/** This minute's count of refusals of the user in MongoDB. */
const counted = async (server: TestServer, userId: string) =>
  (
    await server.db
      .db(server.config.appDatabase)
      .collection<{ _id: string; count: number }>('rate-limits')
      .findOne({ _id: `refused:${userId}:${Math.floor(server.clock.now() / 60_000)}` })
  )?.count ?? 0;

describe('refusal budget', () => {
  let a: TestServer;
  let b: TestServer;
  const seen: CommandStartedEvent[] = [];
  beforeAll(async () => {
    a = await startTestServer({ quotas }, { mongoClientOptions: { monitorCommands: true } });
    b = await startTestServer({ quotas }, { shareWith: a });
    a.mongo.client.on('commandStarted', (event) => seen.push(event));
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  it('past the budget: 429 with Retry-After from memory, connection closed; others unaffected; lifted the next minute', async () => {
    const user = await logIn(a);
    const other = await logIn(a);
    for (let i = 0; i < BUDGET; i++) expect((await call(a, user.token, unknownFunction)).status).toBe(404);
    await vi.waitFor(async () => expect(await counted(a, user.userId)).toBe(BUDGET), { interval: 20 });
    seen.length = 0;
    // Even a call that would pass: the user is blocked for the rest of the minute.
    const blocked = await call(a, user.token, own(a));
    expect(blocked).toMatchObject({ status: 429, errorCode: 'TooManyRequests', connection: 'close' });
    expect(Number(blocked.retryAfter)).toBeGreaterThan(0);
    expect(Number(blocked.retryAfter)).toBeLessThanOrEqual(60);
    expect(seen.filter((e) => e.commandName !== 'getMore').map((e) => e.commandName)).toEqual([]);
    // Answered 429s are not refusals of their own.
    expect(await counted(a, user.userId)).toBe(BUDGET);
    expect((await call(a, other.token, own(a))).status).toBe(200);
    a.clock.ms += 60_000;
    expect((await call(a, user.token, own(a))).status).toBe(200);
  });

  it('counted in MongoDB for every instance: past the budget on A, B blocks the user at its first refusal of them', async () => {
    const user = await logIn(a);
    for (let i = 0; i < BUDGET; i++) expect((await call(a, user.token, unknownFunction)).status).toBe(404);
    await vi.waitFor(async () => expect(await counted(a, user.userId)).toBe(BUDGET), { interval: 20 });
    expect((await call(a, user.token, own(a))).status).toBe(429);
    // B has not seen this user refused yet: one refusal, whose count in MongoDB is over the budget.
    expect((await call(b, user.token, unknownFunction)).status).toBe(404);
    await vi.waitFor(async () => expect((await call(b, user.token, own(b))).status).toBe(429), {
      interval: 20,
    });
    expect(await counted(a, user.userId)).toBe(BUDGET + 1);
  });

  it('what the request limits refuse weighs half the budget', async () => {
    const user = await logIn(a);
    for (let i = 0; i < 2; i++) {
      const refused = await call(a, user.token, tooDeep(a));
      expect(refused).toMatchObject({ status: 400, errorCode: 'RequestLimitExceeded' });
    }
    await vi.waitFor(async () => expect(await counted(a, user.userId)).toBe(BUDGET), { interval: 20 });
    expect((await call(a, user.token, own(a))).status).toBe(429);
  });

  it('answered calls and invalid tokens do not count', async () => {
    const user = await logIn(a);
    for (let i = 0; i < BUDGET + 2; i++) {
      expect((await call(a, user.token, own(a))).status).toBe(200);
      expect((await call(a, `${user.token}x`, unknownFunction)).status).toBe(401);
    }
    expect(await counted(a, user.userId)).toBe(0);
    expect((await call(a, user.token, own(a))).status).toBe(200);
  });
});

describe('refusal budget with held answers', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ quotas: { ...quotas, refusedRequestsHoldMs: 300 } });
  });
  afterAll(() => server?.close());

  it('a blocked user’s 429 is held before it is sent: a client sending back to back slows down', async () => {
    const user = await logIn(server);
    for (let i = 0; i < BUDGET; i++) await call(server, user.token, unknownFunction);
    await vi.waitFor(async () => expect(await counted(server, user.userId)).toBe(BUDGET), { interval: 20 });
    const started = performance.now();
    expect((await call(server, user.token, unknownFunction)).status).toBe(429);
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);
  });
});
