/**
 * The caller's own custom data stream (`{ customUserData: true }`, no service): the server
 * resolves it from its configuration and the caller's token. Here the backend keeps custom data
 * under names that are all not the defaults (database, collection, owner field, service), which
 * a client never has to know; realm-web's `watch()` of that collection still works beside it.
 */
import { EJSON } from 'bson';
import type { Document } from 'mongodb';
import type * as Realm from 'realm-web';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OWN_CUSTOM_DATA_WATCH, SseReader, watchQueryString } from '../../../sync/protocol/watch.js';
import { newUser, startTestServer, type TestServer, uniqueDb } from '../../helpers/server.js';

const SERVICE = 'atlas-elsewhere';
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({
    customData: {
      database: uniqueDb('elsewhere'),
      collection: 'profiles',
      userIdField: 'ownerId',
      serviceName: SERVICE,
    },
  });
});
afterAll(() => server?.close());

type Ev = { operationType: string; fullDocument?: Document };

/** A streaming watch call over fetch: its status and error, or its change events one by one. */
async function openWatch(user: Realm.User, body: Record<string, unknown> = OWN_CUSTOM_DATA_WATCH) {
  const path = `/api/client/v2.0/app/${server.config.appId}/functions/call`;
  const abort = new AbortController();
  const res = await fetch(`${server.url}${path}${watchQueryString(body)}`, {
    headers: { authorization: `Bearer ${user.accessToken}`, accept: 'text/event-stream' },
    signal: abort.signal,
  });
  if (res.status !== 200) return { status: res.status, code: ((await res.json()) as Document).error_code };
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const sse = new SseReader();
  const events: Ev[] = [];
  return {
    status: 200,
    async next(): Promise<Ev> {
      while (events.length === 0) {
        const { value, done } = await reader.read();
        if (done) throw new Error('watch stream ended');
        for (const block of sse.push(value))
          if (block.kind === 'message') events.push(EJSON.parse(block.data) as Ev);
      }
      return events.shift() as Ev;
    },
    close: () => abort.abort(),
  };
}

type Stream = Exclude<Awaited<ReturnType<typeof openWatch>>, { code: unknown }>;

describe('the own custom data stream', () => {
  it("streams the caller's own document from wherever the server keeps custom data, never another user's", async () => {
    const { user: alice } = await newUser(server.newApp());
    const { user: bob } = await newUser(server.newApp());
    const aliceStream = (await openWatch(alice)) as Stream;
    const bobStream = (await openWatch(bob)) as Stream;
    expect([aliceStream.status, bobStream.status]).toEqual([200, 200]);
    try {
      await server.customData.insertOne({ ownerId: bob.id, color: 'bob' });
      await server.customData.insertOne({ ownerId: alice.id, color: 'alice' });
      await server.customData.updateOne({ ownerId: alice.id }, { $set: { color: 'teal' } });
      // Bob's insert came first: were it delivered to Alice, it would be her first event.
      expect(await aliceStream.next()).toMatchObject({
        operationType: 'insert',
        fullDocument: { ownerId: alice.id, color: 'alice' },
      });
      expect(await aliceStream.next()).toMatchObject({
        operationType: 'update',
        fullDocument: { ownerId: alice.id, color: 'teal' },
      });
      expect(await bobStream.next()).toMatchObject({ fullDocument: { ownerId: bob.id, color: 'bob' } });
    } finally {
      aliceStream.close();
      bobStream.close();
    }
  });

  it("shares the change stream with realm-web's watch() of the same collection, which works as before", async () => {
    const { user } = await newUser(server.newApp());
    const own = (await openWatch(user)) as Stream;
    const coll = user.mongoClient(SERVICE).db(server.config.customData.database).collection('profiles');
    const realmWeb = coll.watch() as AsyncGenerator<Ev>;
    const first = realmWeb.next();
    try {
      // realm-web's request is made on the first next(): wait until both are subscribed.
      while (server.watch.stats().subscribers < 2) await new Promise((r) => setTimeout(r, 10));
      await server.customData.insertOne({ ownerId: user.id, plan: 'pro' });
      expect(await own.next()).toMatchObject({ fullDocument: { ownerId: user.id, plan: 'pro' } });
      expect((await first).value).toMatchObject({ fullDocument: { ownerId: user.id, plan: 'pro' } });
      expect(server.watch.stats().openChangeStreams).toBe(1);
    } finally {
      own.close();
      await realmWeb.return(undefined);
    }
  });

  it('refuses other arguments, a service that is not this server’s, and the default names', async () => {
    const { user } = await newUser(server.newApp());
    const call = (args: unknown, service?: string) =>
      openWatch(user, { name: 'watch', ...(service ? { service } : {}), arguments: [args] });
    expect(await call({ customUserData: true, database: 'x' })).toEqual({
      status: 400,
      code: 'InvalidParameter',
    });
    expect(await call({ customUserData: false })).toEqual({ status: 400, code: 'InvalidParameter' });
    expect(await call({ customUserData: true }, 'mongodb-atlas')).toEqual({
      status: 404,
      code: 'ServiceNotFound',
    });
    // The configured service name may be given.
    const named = (await call({ customUserData: true }, SERVICE)) as Stream;
    expect(named.status).toBe(200);
    named.close();
    // What an engine that guessed the default names got: refused on every attempt.
    const guessed = { database: 'custom-user-data-database', collection: 'custom-user-data' };
    expect(await call(guessed, SERVICE)).toEqual({ status: 403, code: 'NoMatchingRuleFound' });
  });
});
