/**
 * collection.watch() with the real realm-web 2.0.1 SDK against the real server on the run's
 * MongoDB: other writers' changes arrive live, on every instance, and never another user's.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { type Document, ObjectId } from 'mongodb';
import * as Realm from 'realm-web';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYNC_BOOKKEEPING_FIELD } from '../../../sync/protocol/index.js';
import { type SseBlock, SseReader, watchQueryString } from '../../../sync/protocol/watch.js';
import { ADMIN_KEY, newUser, raw, startTestServer, type TestServer, uniqueDb } from '../../helpers/server.js';

/** A change event as realm-web yields it (EJSON revived). */
type Ev = {
  operationType: string;
  fullDocument?: Document;
  documentKey?: { _id: unknown };
  updateDescription?: { updatedFields: Document; removedFields: string[] };
};

/** The hex of the event's document _id (realm-web's ObjectId class is its own bson copy's). */
const keyOf = (event: Ev): string => String((event.documentKey?._id as ObjectId | undefined)?.toHexString());

/**
 * Resolves after the server registers `n` more watch streams (its own event, no polling).
 * Call it right after starting the streams: registering needs I/O, so none is missed.
 */
function joined(server: TestServer, n: number): Promise<void> {
  return new Promise((resolve) => {
    let seen = 0;
    const listener = () => {
      seen += 1;
      if (seen < n) return;
      server.watch.off('subscribed', listener);
      resolve();
    };
    server.watch.on('subscribed', listener);
  });
}

function unsubscribedTo(server: TestServer, n: number): Promise<void> {
  return new Promise((resolve) => {
    const check = () => {
      if (server.watch.stats().subscribers > n) return;
      server.watch.off('unsubscribed', check);
      resolve();
    };
    server.watch.on('unsubscribed', check);
    check();
  });
}

/** A realm-web watch: `next()` pulls one event; the first call opens the stream. */
function watch(
  user: Realm.User,
  database: string,
  collection: string,
  options: { ids?: unknown[]; filter?: Document } = {},
) {
  const coll = user.mongoClient('mongodb-atlas').db(database).collection(collection);
  const stream = coll.watch(options as never) as AsyncGenerator<Ev>;
  return {
    async next(): Promise<Ev> {
      const { value, done } = await stream.next();
      if (done) throw new Error('watch stream ended');
      return value;
    },
    /** Starts reading (the request) without waiting; closing the stream first is no failure. */
    pending(): Promise<Ev> {
      const event = this.next();
      event.catch(() => undefined);
      return event;
    },
    close: () => stream.return(undefined),
  };
}

const cdColl = 'custom-user-data';

describe('collection.watch() on the custom data collection', () => {
  let server: TestServer;
  let db: string;
  beforeAll(async () => {
    server = await startTestServer({ accessTokenTtlSeconds: 600 });
    db = server.config.customData.database;
  });
  afterAll(() => server?.close());

  it("delivers another writer's direct MongoDB writes to the owner in under a second", async () => {
    const { user } = await newUser(server.newApp());
    const w = watch(user, db, cdColl);
    const first = w.pending();
    await joined(server, 1);
    const latencies: number[] = [];
    const timed = async (write: () => Promise<unknown>, next: Promise<Ev>) => {
      const t0 = performance.now();
      await write();
      const event = await next;
      latencies.push(performance.now() - t0);
      return event;
    };

    const _id = new ObjectId();
    const inserted = await timed(
      () => server.customData.insertOne({ _id, userId: user.id, favoriteColor: 'pink' }),
      first,
    );
    expect(inserted.operationType).toBe('insert');
    expect(inserted.fullDocument).toMatchObject({ userId: user.id, favoriteColor: 'pink' });
    expect(keyOf(inserted)).toBe(_id.toHexString());

    const updated = await timed(
      () =>
        server.customData.updateOne(
          { _id },
          // The engine's outbox bookkeeping never reaches clients.
          { $set: { favoriteColor: 'teal', [`${SYNC_BOOKKEEPING_FIELD}.dev1`]: 3 } },
        ),
      w.next(),
    );
    expect(updated.operationType).toBe('update');
    expect(updated.updateDescription?.updatedFields).toEqual({ favoriteColor: 'teal' });
    expect(Object.keys(updated.fullDocument ?? {}).sort()).toEqual(['_id', 'favoriteColor', 'userId']);
    expect(updated.fullDocument).toMatchObject({ userId: user.id, favoriteColor: 'teal' });

    const replaced = await timed(
      () => server.customData.replaceOne({ _id }, { userId: user.id, plan: 'pro' }),
      w.next(),
    );
    expect(replaced.operationType).toBe('replace');
    expect(Object.keys(replaced.fullDocument ?? {}).sort()).toEqual(['_id', 'plan', 'userId']);

    const deleted = await timed(() => server.customData.deleteOne({ _id }), w.next());
    expect(deleted.operationType).toBe('delete');
    expect(keyOf(deleted)).toBe(_id.toHexString());
    expect(deleted.fullDocument).toBeUndefined();

    for (const ms of latencies) expect(ms).toBeLessThan(1_000);
    console.log(
      `watch latency (direct write → realm-web event), ms: ${latencies.map((l) => l.toFixed(1)).join(', ')}`,
    );
    await w.close();
  });

  it("never delivers another user's events (insert, update, replace, delete), ids and filter included", async () => {
    const app = server.newApp();
    const alice = (await newUser(app)).user;
    const bob = (await newUser(server.newApp())).user;
    const aliceDoc = new ObjectId();
    const bobDoc = new ObjectId();
    await server.customData.insertOne({ _id: aliceDoc, userId: alice.id, n: 0 });
    await server.customData.insertOne({ _id: bobDoc, userId: bob.id, n: 0 });

    const plain = watch(alice, db, cdColl);
    const byIds = watch(alice, db, cdColl, { ids: [bobDoc, aliceDoc] });
    const byFilter = watch(alice, db, cdColl, { filter: { 'documentKey._id': { $in: [bobDoc, aliceDoc] } } });
    const widened = watch(alice, db, cdColl, {
      filter: { $or: [{ 'fullDocument.userId': bob.id }, { operationType: 'update' }] },
    });
    const bobs = watch(bob, db, cdColl);
    const next = {
      plain: plain.pending(),
      byIds: byIds.pending(),
      byFilter: byFilter.pending(),
      widened: widened.pending(),
      bob: bobs.pending(),
    };
    await joined(server, 5);

    // Everything happens to Bob's documents, from several writers.
    const bobMongo = bob.mongoClient('mongodb-atlas').db(db).collection(cdColl);
    await server.customData.updateOne({ _id: bobDoc }, { $set: { n: 1 } });
    await server.customData.replaceOne({ _id: bobDoc }, { userId: bob.id, n: 2 });
    const second = (await bobMongo.insertOne({ n: 3 })).insertedId as ObjectId;
    await bobMongo.deleteOne({ _id: second });
    await server.customData.deleteOne({ _id: bobDoc });

    const bobSaw = [await next.bob];
    for (let i = 0; i < 4; i++) bobSaw.push(await bobs.next());
    expect(bobSaw.map((e) => e.operationType)).toEqual(['update', 'replace', 'insert', 'delete', 'delete']);

    // Then one change to Alice's document: it must be the first thing each of her streams sees.
    await server.customData.updateOne({ _id: aliceDoc }, { $set: { n: 9 } });
    for (const [name, pending] of Object.entries(next)) {
      if (name === 'bob') continue;
      const event = await pending;
      expect(event.operationType, name).toBe('update');
      expect(keyOf(event), name).toBe(aliceDoc.toHexString());
    }
    await Promise.all([plain.close(), byIds.close(), byFilter.close(), widened.close(), bobs.close()]);
  });

  it('a document moved to another owner reaches its old owner as a delete, and the new one as the change', async () => {
    const alice = (await newUser(server.newApp())).user;
    const bob = (await newUser(server.newApp())).user;
    const doc = new ObjectId();
    await server.customData.insertOne({ _id: doc, userId: alice.id, secret: 'a' });
    const a = watch(alice, db, cdColl);
    const b = watch(bob, db, cdColl);
    const aNext = a.pending();
    const bNext = b.pending();
    await joined(server, 2);
    // An administrator hands the document to Bob.
    await server.customData.updateOne({ _id: doc }, { $set: { userId: bob.id, secret: 'b' } });
    const gone = await aNext;
    expect(gone.operationType).toBe('delete');
    expect(gone.fullDocument).toBeUndefined();
    expect((gone as { updateDescription?: unknown }).updateDescription).toBeUndefined();
    const arrived = await bNext;
    expect(arrived.operationType).toBe('update');
    expect(arrived.fullDocument).toMatchObject({ userId: bob.id, secret: 'b' });
    // Later deletes follow the new owner.
    await server.customData.deleteOne({ _id: doc });
    expect((await b.next()).operationType).toBe('delete');
    await Promise.all([a.close(), b.close()]);
  });

  it("the tester's other writers reach the stream: the admin API and an app function", async () => {
    const { user } = await newUser(server.newApp());
    await server.customData.insertOne({ userId: user.id, theme: 'light' });
    const w = watch(user, db, cdColl);
    const first = w.pending();
    await joined(server, 1);
    const patched = await raw(server, 'PATCH', `/admin/v1/users/${user.id}/custom-data`, {
      headers: { 'content-type': 'application/json', 'x-admin-key': ADMIN_KEY },
      body: JSON.stringify({ set: { theme: 'dark' } }),
    });
    expect(patched.status).toBe(200);
    // The feed of this collection may still be delivering the insert above (made before this
    // subscriber joined, read by a stream that lingers from an earlier test): skip to the patch.
    let event = await first;
    while (event.fullDocument?.theme === 'light') event = await w.next();
    expect(event.fullDocument?.theme).toBe('dark');
    await user.callFunction('updateCustomUserData', { theme: 'blue' });
    expect((await w.next()).fullDocument?.theme).toBe('blue');
    await w.close();
  });

  it('escapes %, LF and CR so realm-web gets the exact strings back', async () => {
    const { user } = await newUser(server.newApp());
    const w = watch(user, db, cdColl);
    const first = w.pending();
    await joined(server, 1);
    const tricky = 'a%b\nc\rd\r\n%0A%25%0D\n\nend: data: x';
    await server.customData.insertOne({ userId: user.id, tricky, 'k%\n': 'v' });
    const event = await first;
    expect(event.fullDocument?.tricky).toBe(tricky);
    expect(event.fullDocument?.['k%\n']).toBe('v');
    await w.close();
  });

  it('honours ids and filter for the owner, with BSON types revived', async () => {
    const { user } = await newUser(server.newApp());
    const one = new ObjectId();
    const two = new ObjectId();
    await server.customData.insertMany([
      { _id: one, userId: user.id, n: 1 },
      { _id: two, userId: user.id, n: 1 },
    ]);
    const onlyTwo = watch(user, db, cdColl, { ids: [two] });
    const bigN = watch(user, db, cdColl, {
      filter: { operationType: 'update', 'fullDocument.n': { $gte: 5 } },
    });
    const twoNext = onlyTwo.pending();
    const bigNext = bigN.pending();
    await joined(server, 2);
    await server.customData.updateOne({ _id: one }, { $set: { n: 7, at: new Date(0) } });
    await server.customData.updateOne({ _id: two }, { $set: { n: 2 } });
    const twoEvent = await twoNext;
    expect(keyOf(twoEvent)).toBe(two.toHexString());
    expect(twoEvent.fullDocument?.n).toBe(2);
    const bigEvent = await bigNext;
    expect(keyOf(bigEvent)).toBe(one.toHexString());
    expect(bigEvent.fullDocument?.at).toEqual(new Date(0));
    await Promise.all([onlyTwo.close(), bigN.close()]);
  });

  it('refuses $regex, $where and unknown operators in filters, and collections no rule opens', async () => {
    const { user } = await newUser(server.newApp());
    const attempt = (options: { filter?: Document }, coll = cdColl, database = db) =>
      watch(user, database, coll, options)
        .next()
        .then(
          () => ({ status: 0, code: '' }),
          (e: Realm.MongoDBRealmError) => ({ status: e.statusCode, code: e.errorCode }),
        );
    expect(await attempt({ filter: { 'fullDocument.name': { $regex: '^(a+)+$' } } })).toEqual({
      status: 400,
      code: 'InvalidParameter',
    });
    expect(await attempt({ filter: { 'fullDocument.name': /^(a+)+$/ } })).toEqual({
      status: 400,
      code: 'InvalidParameter',
    });
    expect(await attempt({ filter: { $where: 'sleep(1000)' } })).toEqual({
      status: 400,
      code: 'InvalidParameter',
    });
    expect(await attempt({ filter: { $expr: { $eq: [1, 1] } } })).toEqual({
      status: 400,
      code: 'InvalidParameter',
    });
    expect(await attempt({}, 'secrets')).toEqual({ status: 403, code: 'NoMatchingRuleFound' });
    expect(await attempt({}, cdColl, 'other-db')).toEqual({ status: 403, code: 'NoMatchingRuleFound' });
  });

  it('refuses streaming calls that are not watch, and malformed requests', async () => {
    const { user } = await newUser(server.newApp());
    const fn = user.functions.callFunctionStreaming('translate', 'x');
    await expect(fn.then((it) => it[Symbol.asyncIterator]().next())).rejects.toMatchObject({
      statusCode: 400,
    });
    const path = `/api/client/v2.0/app/${server.config.appId}/functions/call`;
    const get = (qs: string, token = user.accessToken) =>
      fetch(`${server.url}${path}${qs}`, {
        headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' },
      }).then(async (r) => ({ status: r.status, body: await r.json() }));
    expect((await get('')).status).toBe(400);
    expect((await get('?baas_request=%%%')).status).toBe(400);
    expect(
      (
        await get(
          watchQueryString({ name: 'watch', service: 'mongodb-atlas', arguments: [{ database: db }] }),
        )
      ).body.error_code,
    ).toBe('InvalidParameter');
    expect(
      (
        await get(
          watchQueryString({
            name: 'watch',
            service: 'mongodb-atlas',
            arguments: [{ database: db, collection: cdColl, ids: [1], filter: {} }],
          }),
        )
      ).status,
    ).toBe(400);
    const body = {
      name: 'watch',
      service: 'mongodb-atlas',
      arguments: [{ database: db, collection: cdColl }],
    };
    expect(await get(watchQueryString(body), 'not-a-token')).toMatchObject({
      status: 401,
      body: { error_code: 'InvalidSession' },
    });
  });
});

describe('watch streams: token expiry, keep-alives, resume, back-pressure', () => {
  let server: TestServer;
  let db: string;
  beforeAll(async () => {
    server = await startTestServer(
      { accessTokenTtlSeconds: 60 },
      { watch: { keepAliveMs: 5_000, maxBufferedBytes: 64 * 1024 } },
    );
    db = server.config.customData.database;
  });
  afterAll(() => server?.close());

  it('closes the stream when the access token expires; the client reconnects with a fresh one', async () => {
    const { user } = await newUser(server.newApp());
    const w = watch(user, db, cdColl);
    const pending = w.pending();
    await joined(server, 1);
    server.clock.advance(61_000);
    server.watch.sweep();
    await expect(pending).rejects.toMatchObject({ name: 'WatchError', code: 'InvalidSession' });

    // realm-web's retry: the expired token gets 401 InvalidSession, it refreshes and watches again.
    const again = watch(user, db, cdColl);
    const next = again.pending();
    await joined(server, 1);
    await server.customData.insertOne({ userId: user.id, after: 'refresh' });
    expect((await next).fullDocument?.after).toBe('refresh');
    await again.close();
  });

  it('a dropped change stream resumes from its token: nothing lost, nothing twice', async () => {
    const { user } = await newUser(server.newApp());
    const _id = new ObjectId();
    await server.customData.insertOne({ _id, userId: user.id, n: 0 });
    const w = watch(user, db, cdColl);
    const first = w.pending();
    await joined(server, 1);
    const feed = server.watch.feed(db, cdColl);
    expect(feed?.live).toBe(true);
    const reopen = feed?.interrupt();
    for (let n = 1; n <= 3; n++) await server.customData.updateOne({ _id }, { $set: { n } });
    await server.customData.deleteOne({ _id });
    reopen?.();
    const seen = [await first];
    for (let i = 0; i < 3; i++) seen.push(await w.next());
    expect(seen.map((e) => e.operationType)).toEqual(['update', 'update', 'update', 'delete']);
    expect(seen.slice(0, 3).map((e) => e.updateDescription?.updatedFields.n)).toEqual([1, 2, 3]);
    // Still live afterwards, and the next event is new (no replay).
    await server.customData.insertOne({ userId: user.id, n: 4 });
    expect((await w.next()).fullDocument?.n).toBe(4);
    await w.close();
  });

  it('sends keep-alives as comment lines only while the change stream is healthy', async () => {
    const { user } = await newUser(server.newApp());
    // Headers come once the subscriber is registered.
    const stream = await openRaw(server, user, db, cdColl);
    expect(await stream.nextBlock()).toEqual({ kind: 'keepalive' });
    server.clock.advance(5_000);
    server.watch.sweep();
    expect(await stream.nextBlock()).toEqual({ kind: 'keepalive' });
    expect(stream.rawText()).toBe(':\n\n:\n\n');

    const ns = `${db}.${cdColl}`;
    const down = feedState(server, ns, false);
    const reopen = server.watch.feed(db, cdColl)?.interrupt();
    await down;
    server.clock.advance(5_000);
    server.watch.sweep();
    const up = feedState(server, ns, true);
    reopen?.();
    await up;
    await server.customData.insertOne({ userId: user.id, marker: 1 });
    // No keep-alive was written during the outage: the next block is the change itself.
    const block = await stream.nextBlock();
    expect(block.kind).toBe('message');
    stream.close();
  });

  it("takes the access token from the query's baas_at, as Realm Core's watch sends it", async () => {
    const { user } = await newUser(server.newApp());
    const stream = await openRaw(server, user, db, cdColl, 'query');
    expect(await stream.nextBlock()).toEqual({ kind: 'keepalive' });
    await server.customData.insertOne({ userId: user.id, marker: 2 });
    expect((await stream.nextBlock()).kind).toBe('message');
    stream.close();
  });

  it('drops a subscriber that reads too slowly with an error event; others keep up', async () => {
    const { user } = await newUser(server.newApp());
    const slow = await openRaw(server, user, db, cdColl);
    slow.pause();
    const fast = watch(user, db, cdColl);
    let next = fast.pending();
    await joined(server, 1);
    const big = 'x'.repeat(256 * 1024);
    const dropped = server.watch.stats().droppedTooSlow;
    // Bounded: the socket buffers fill after a few MB at most.
    for (let i = 0; i < 80 && server.watch.stats().droppedTooSlow === dropped; i++) {
      await server.customData.insertOne({ userId: user.id, big, i });
      expect((await next).fullDocument?.i).toBe(i);
      next = fast.pending();
    }
    expect(server.watch.stats().droppedTooSlow).toBe(dropped + 1);
    slow.resume();
    const blocks = await slow.allBlocks();
    expect(blocks.at(-1)).toMatchObject({ kind: 'error', errorCode: 'SubscriberTooSlow' });
    await fast.close();
  });
});

describe('watch across backend instances and collections', () => {
  let a: TestServer;
  let b: TestServer;
  const openDb = uniqueDb('open');
  beforeAll(async () => {
    a = await startTestServer({ openCollections: [`${openDb}.board`] });
    // Same databases and signing key: two instances of one deployment behind a load balancer.
    b = await startTestServer({
      appDatabase: a.config.appDatabase,
      customData: { database: a.config.customData.database },
      openCollections: [`${openDb}.board`],
    });
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  it('a write through one instance reaches subscribers on both, each over one change stream', async () => {
    const db = a.config.customData.database;
    const onA = await newUser(a.newApp());
    const userOnB = await new Realm.App({ id: b.config.appId, baseUrl: b.url }).logIn(
      Realm.Credentials.emailPassword(onA.email, onA.password),
    );
    expect(userOnB.id).toBe(onA.user.id);
    const others = await Promise.all([newUser(b.newApp()), newUser(b.newApp()), newUser(a.newApp())]);
    const streams = [
      watch(onA.user, db, cdColl),
      watch(userOnB, db, cdColl),
      ...others.map((o) => watch(o.user, db, cdColl)),
    ];
    const pending = streams.map((s) => s.pending());
    await Promise.all([joined(a, 2), joined(b, 3)]);
    expect(a.watch.stats().openChangeStreams).toBe(1);
    expect(b.watch.stats().openChangeStreams).toBe(1);

    // The writer is realm-web on instance A (the data API); B learns of it only through MongoDB.
    const t0 = performance.now();
    await onA.user
      .mongoClient('mongodb-atlas')
      .db(db)
      .collection(cdColl)
      .updateOne({ userId: onA.user.id }, { $set: { theme: 'dark' } }, { upsert: true });
    const [viaA, viaB] = await Promise.all([pending[0], pending[1]]);
    const ms = performance.now() - t0;
    expect(viaA?.fullDocument).toMatchObject({ theme: 'dark' });
    expect(viaB?.fullDocument).toMatchObject({ theme: 'dark' });
    expect(ms).toBeLessThan(1_000);
    await Promise.all(streams.map((s) => s.close()));
    await Promise.all([unsubscribedTo(a, 0), unsubscribedTo(b, 0)]);
  });

  it('on a collection the rules open, every user sees every change', async () => {
    const u1 = await newUser(a.newApp());
    const u2 = await newUser(b.newApp());
    const w1 = watch(u1.user, openDb, 'board');
    const w2 = watch(u2.user, openDb, 'board', { filter: { 'fullDocument.pinned': true } });
    const p1 = w1.pending();
    const p2 = w2.pending();
    await Promise.all([joined(a, 1), joined(b, 1)]);
    const board = u1.user.mongoClient('mongodb-atlas').db(openDb).collection('board');
    await board.insertOne({ text: 'hello', pinned: false });
    await a.db.db(openDb).collection('board').insertOne({ text: 'pinned', pinned: true });
    expect((await p1).fullDocument?.text).toBe('hello');
    expect((await p2).fullDocument?.text).toBe('pinned');
    await Promise.all([w1.close(), w2.close()]);
  });

  it('tells subscribers when the instance shuts down', async () => {
    const c = await startTestServer({
      appDatabase: a.config.appDatabase,
      customData: { database: a.config.customData.database },
    });
    const { user } = await newUser(c.newApp());
    const w = watch(user, c.config.customData.database, cdColl);
    const pending = w.pending();
    await joined(c, 1);
    // Only close the HTTP side and the hub: the databases belong to instance A.
    await c.watch.close();
    await expect(pending).rejects.toMatchObject({ name: 'WatchError', code: 'ServerShuttingDown' });
    await c.app.close();
    await c.mongo.close();
    await c.db.close();
  });
});

describe('watch on a database without change streams', () => {
  it('answers 400 ChangeStreamsNotSupported after saying so in the log', async () => {
    const server = await startTestServer();
    try {
      // The probe's verdict on a standalone mongod; SecantusDB has change streams.
      server.watch.markUnsupported(new Error('The $changeStream stage is only supported on replica sets'));
      expect(server.logs.some((l) => l.includes('no change streams'))).toBe(true);
      const { user } = await newUser(server.newApp());
      const err = await watch(user, server.config.customData.database, cdColl)
        .next()
        .catch((e: Realm.MongoDBRealmError) => e);
      expect(err).toMatchObject({ statusCode: 400, errorCode: 'ChangeStreamsNotSupported' });
    } finally {
      await server.close();
    }
  });
});

/** A watch over plain HTTP, to see the bytes (and to not read them). */
async function openRaw(
  server: TestServer,
  user: Realm.User,
  database: string,
  collection: string,
  /** Realm Core sends the access token as `baas_at` in the query, realm-web as a header. */
  tokenIn: 'header' | 'query' = 'header',
) {
  const qs = watchQueryString({
    name: 'watch',
    service: 'mongodb-atlas',
    arguments: [{ database, collection }],
  });
  const url = new URL(`${server.url}/api/client/v2.0/app/${server.config.appId}/functions/call${qs}`);
  if (tokenIn === 'query') url.searchParams.set('baas_at', user.accessToken as string);
  const res = await new Promise<IncomingMessage>((resolve, reject) => {
    const req = httpRequest(url, {
      // The desktop renderer and browsers read the stream cross-origin.
      headers: {
        ...(tokenIn === 'header' ? { authorization: `Bearer ${user.accessToken}` } : {}),
        accept: 'text/event-stream',
        origin: 'http://localhost:5173',
      },
    });
    req.once('response', resolve);
    req.once('error', reject);
    req.end();
  });
  expect(res.statusCode).toBe(200);
  expect(res.headers['content-type']).toBe('text/event-stream');
  expect(res.headers['access-control-allow-origin']).toBe('http://localhost:5173');
  const reader = new SseReader();
  const blocks: SseBlock[] = [];
  let text = '';
  let ended = false;
  let wake: (() => void) | undefined;
  res.on('data', (chunk: Buffer) => {
    text += chunk.toString('utf8');
    blocks.push(...reader.push(chunk));
    wake?.();
  });
  res.on('end', () => {
    ended = true;
    wake?.();
  });
  res.on('error', () => {
    ended = true;
    wake?.();
  });
  const waitData = () =>
    new Promise<void>((resolve) => {
      wake = resolve;
    });
  return {
    async nextBlock(): Promise<SseBlock> {
      while (blocks.length === 0) {
        if (ended) throw new Error('stream ended');
        await waitData();
      }
      return blocks.shift() as SseBlock;
    },
    async allBlocks(): Promise<SseBlock[]> {
      while (!ended) await waitData();
      return blocks.splice(0);
    },
    rawText: () => text,
    pause: () => res.pause(),
    resume: () => res.resume(),
    close: () => res.destroy(),
  };
}

/** Resolves when the feed of `ns` reports the given state (the hub's 'feed' event). */
function feedState(server: TestServer, ns: string, live: boolean): Promise<void> {
  return new Promise((resolve) => {
    const listener = (name: string, state: boolean) => {
      if (name !== ns || state !== live) return;
      server.watch.off('feed', listener);
      resolve();
    };
    server.watch.on('feed', listener);
  });
}
