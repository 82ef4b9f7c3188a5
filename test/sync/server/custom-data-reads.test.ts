/**
 * Coalesced custom data reads (sync/server/custom-data-reads): under concurrent refreshes every
 * token still carries its user's first-inserted document, as read after the refresh was asked.
 */
import { type CommandStartedEvent, type Document, ObjectId } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FirstDocumentReads } from '../../../sync/server/custom-data-reads/index.js';
import { logInOverHttp, raw, startTestServer, type TestServer } from '../../helpers/server.js';

/** In-memory queries as MongoDB answers them: sorted by user (UTF-8 bytes), then _id; `limit`. */
function fakeQueries(docs: Document[]) {
  const calls: string[] = [];
  let failNext = false;
  let gate: Promise<void> | undefined;
  const byUserThenId = (x: Document, y: Document) =>
    Buffer.compare(Buffer.from(String(x.userId)), Buffer.from(String(y.userId))) ||
    (x._id as number) - (y._id as number);
  return {
    calls,
    failNext: () => {
      failNext = true;
    },
    hold: () => {
      let open!: () => void;
      gate = new Promise((resolve) => {
        open = resolve;
      });
      return () => {
        gate = undefined;
        open();
      };
    },
    queries: {
      async one(userId: string) {
        calls.push(`one ${userId}`);
        await gate;
        const mine = docs.filter(
          (d) => d.userId === userId || (Array.isArray(d.userId) && d.userId.includes(userId)),
        );
        return mine.sort((x, y) => (x._id as number) - (y._id as number))[0] ?? null;
      },
      async many(userIds: string[], limit: number) {
        calls.push(`many ${[...userIds].sort().join(',')}`);
        await gate;
        if (failNext) {
          failNext = false;
          throw new Error('connection reset');
        }
        const matches = (d: Document) =>
          Array.isArray(d.userId)
            ? d.userId.some((u: string) => userIds.includes(u))
            : userIds.includes(d.userId);
        return docs.filter(matches).sort(byUserThenId).slice(0, limit);
      },
    },
  };
}

describe('FirstDocumentReads', () => {
  it('with nothing under way a lookup goes out at once, alone; lookups asked meanwhile go out together after it', async () => {
    const fake = fakeQueries([
      { _id: 1, userId: 'a' },
      { _id: 2, userId: 'b' },
      { _id: 3, userId: 'c' },
    ]);
    const reads = new FirstDocumentReads('userId', fake.queries, { maxBatch: 100, maxInFlight: 1 });
    const release = fake.hold();
    const first = reads.first('a');
    expect(fake.calls).toEqual(['one a']);
    const later = [reads.first('b'), reads.first('c'), reads.first('b')];
    expect(fake.calls).toEqual(['one a']);
    release();
    expect(await first).toEqual({ _id: 1, userId: 'a' });
    expect(await Promise.all(later)).toEqual([
      { _id: 2, userId: 'b' },
      { _id: 3, userId: 'c' },
      { _id: 2, userId: 'b' },
    ]);
    expect(fake.calls).toEqual(['one a', 'many b,c']);
  });

  it('each user gets the first-inserted of its documents; a user with many is cut, the users past it are asked again', async () => {
    const docs: Document[] = [];
    let id = 1000;
    for (let i = 0; i < 40; i++) docs.push({ _id: id--, userId: 'a', i });
    docs.push({ _id: 5, userId: 'b', first: true }, { _id: 9, userId: 'b' }, { _id: 7, userId: 'd' });
    const fake = fakeQueries(docs);
    const reads = new FirstDocumentReads('userId', fake.queries, { maxBatch: 100, maxInFlight: 1 });
    const release = fake.hold();
    void reads.first('z');
    const asked = ['a', 'b', 'c', 'd', 'e'].map((u) => reads.first(u));
    release();
    const got = await Promise.all(asked);
    expect(got.map((d) => d?._id ?? null)).toEqual([961, 5, null, 7, null]);
    // 5 users: at most 18 documents a query; a's 40 documents fill the first, b to e come in the second.
    expect(fake.calls).toEqual(['one z', 'many a,b,c,d,e', 'many b,c,d,e']);
  });

  it('a document whose user ID is not a string sends the batch to one query per user', async () => {
    const fake = fakeQueries([
      { _id: 1, userId: ['b', 'x'] },
      { _id: 2, userId: 'b' },
      { _id: 3, userId: 'c' },
    ]);
    const reads = new FirstDocumentReads('userId', fake.queries, { maxBatch: 100, maxInFlight: 1 });
    const release = fake.hold();
    void reads.first('z');
    const asked = [reads.first('b'), reads.first('c')];
    release();
    expect((await Promise.all(asked)).map((d) => d?._id)).toEqual([1, 3]);
    expect(fake.calls).toEqual(['one z', 'many b,c', 'one b', 'one c']);
  });

  it('a failed query fails each of its lookups; later lookups go on', async () => {
    const fake = fakeQueries([{ _id: 1, userId: 'b' }]);
    const reads = new FirstDocumentReads('userId', fake.queries, { maxBatch: 100, maxInFlight: 1 });
    const release = fake.hold();
    void reads.first('z');
    fake.failNext();
    const failing = [reads.first('b'), reads.first('c')];
    release();
    for (const f of failing) await expect(f).rejects.toThrow('connection reset');
    expect(await reads.first('b')).toEqual({ _id: 1, userId: 'b' });
  });
});

describe('refreshes under load', () => {
  let server: TestServer;
  const seen: CommandStartedEvent[] = [];
  beforeAll(async () => {
    server = await startTestServer({}, { realTime: true, mongoClientOptions: { monitorCommands: true } });
    server.mongo.client.on('commandStarted', (event) => seen.push(event));
  });
  afterAll(() => server?.close());

  const login = async () => {
    const res = await logInOverHttp(server);
    return { refreshToken: res.refresh_token, userId: res.user_id };
  };
  const refresh = async (refreshToken: string): Promise<Record<string, unknown>> => {
    const res = await raw(server, 'POST', '/api/client/v2.0/auth/session', {
      headers: { authorization: `Bearer ${refreshToken}` },
    });
    expect(res.status).toBe(201);
    const payload = JSON.parse(Buffer.from(res.body.access_token.split('.')[1], 'base64url').toString());
    return (payload.user_data ?? {}) as Record<string, unknown>;
  };

  it('forty refreshes at once: each token has its user’s first-inserted document, and every write acknowledged before it', async () => {
    const users = await Promise.all(Array.from({ length: 12 }, login));
    const docs: Document[] = [];
    users.forEach((u, i) => {
      if (i === 0) return; // no document
      docs.push({ _id: new ObjectId(), userId: u.userId, which: `first-${i}`, v: 0 });
      const extra = i === 1 ? 60 : 2;
      for (let k = 0; k < extra; k++) docs.push({ _id: new ObjectId(), userId: u.userId, which: 'later' });
    });
    await server.customData.insertMany(docs);
    seen.length = 0;
    for (let round = 0; round < 5; round++) {
      // Each user's first document changes, acknowledged before its refreshes are asked.
      await server.customData.updateMany({ which: /^first-/ }, { $set: { v: round } });
      const all = await Promise.all(
        [...users, ...users, ...users]
          .slice(0, 40)
          .map(async (u, k) => ({ k, data: await refresh(u.refreshToken) })),
      );
      for (const { k, data } of all) {
        const i = k % users.length;
        if (i === 0) expect(data).toEqual({});
        else expect(data).toMatchObject({ which: `first-${i}`, v: { $numberInt: String(round) } });
      }
    }
    // Fewer reads than refreshes: lookups asked together went out as one query.
    const reads = seen.filter(
      (e) => e.commandName === 'find' && e.command.find === server.config.customData.collection,
    );
    expect(reads.length).toBeLessThan(200);
  });
});
