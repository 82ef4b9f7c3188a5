/**
 * Issue 14: every database operation made on a client's behalf carries maxTimeMS — the data
 * API, the database calls of functions (`context.services`), session and credential reads at
 * login and refresh, quotas and the login throttle, the custom data reads and writes of the
 * built-in functions, the owner lookups of watch(). A cut-off is a 503 of its own.
 */
import { resolve } from 'node:path';
import type { CommandStartedEvent } from 'mongodb';
import * as Realm from 'realm-web';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { newUser, startTestServer, type TestServer, uniqueDb } from '../../helpers/server.js';

/** Commands that do work on data (getMore continues a cursor its find/aggregate bounded). */
const DATA_COMMANDS = new Set([
  'find',
  'aggregate',
  'count',
  'distinct',
  'insert',
  'update',
  'delete',
  'findAndModify',
]);

describe('maxTimeMS on every database operation made for a client', () => {
  let server: TestServer;
  const seen: CommandStartedEvent[] = [];
  beforeAll(async () => {
    server = await startTestServer(
      {
        functionsDir: resolve('test/fixtures/functions'),
        loginTriggerFunction: 'stampLastLogin',
        userCreationFunction: 'createCustomUserData',
      },
      { realTime: true, mongoClientOptions: { monitorCommands: true } },
    );
    server.mongo.client.on('commandStarted', (event) => seen.push(event));
  });
  afterAll(() => server?.close());

  it('register, login (good and bad password), refresh, data API, functions, edit batches, anonymous login, logout', async () => {
    seen.length = 0;
    const app = server.newApp();
    const { user, email } = await newUser(app);
    await expect(
      server.newApp().logIn(Realm.Credentials.emailPassword(email, 'wrong password 1')),
    ).rejects.toThrow();
    await user.refreshCustomData();
    await user.refreshAccessToken();
    await user.callFunction('updateCustomUserData', { color: 'red' });
    await user.callFunction('applyCustomDataEdits', {
      deviceId: 'device-maxtime',
      seq: 1,
      ops: [{ op: 'set', path: 'n', value: 1 }],
    });
    await user.callFunction('whoami', 'hello');
    await user.callFunction('scanCollection', server.config.customData.database, 'custom-user-data');
    const coll = user
      .mongoClient('mongodb-atlas')
      .db(server.config.customData.database)
      .collection('custom-user-data');
    await coll.findOne({});
    await coll.updateOne({}, { $set: { m: 2 } });
    const anon = await server.newApp().logIn(Realm.Credentials.anonymous());
    await anon.logOut();
    await user.logOut();

    const data = seen.filter(
      (e) =>
        DATA_COMMANDS.has(e.commandName) &&
        !JSON.stringify(e.command.pipeline ?? []).includes('$changeStream'),
    );
    expect(data.length).toBeGreaterThan(20);
    const unbounded = data.filter((e) => typeof e.command.maxTimeMS !== 'number');
    expect(
      unbounded.map((e) => `${e.commandName} ${e.databaseName}.${String(e.command[e.commandName])}`),
    ).toEqual([]);
    expect(data.every((e) => Number(e.command.maxTimeMS) <= server.config.limits.maxTimeMS)).toBe(true);
  });
});

describe('a request the limits refuse', () => {
  let server: TestServer;
  const seen: CommandStartedEvent[] = [];
  beforeAll(async () => {
    server = await startTestServer({}, { realTime: true, mongoClientOptions: { monitorCommands: true } });
    server.mongo.client.on('commandStarted', (event) => seen.push(event));
  });
  afterAll(() => server?.close());

  it('costs MongoDB no quota reservation, size-guard read or write (only the live-session check of a write and the count of refusals)', async () => {
    const { user } = await newUser(server.newApp());
    let deep: unknown = 1;
    for (let i = 0; i < 150; i++) deep = { a: deep };
    seen.length = 0;
    const coll = user
      .mongoClient('mongodb-atlas')
      .db(server.config.customData.database)
      .collection('custom-user-data');
    const refused = await coll
      .insertOne({ deep } as never)
      .catch((e: { statusCode?: number; error?: string }) => e);
    expect(refused).toMatchObject({ statusCode: 400 });
    expect(String((refused as { error?: string }).error)).toContain('maxDepth');
    const data = () =>
      seen
        .filter((e) => DATA_COMMANDS.has(e.commandName))
        .map((e) => `${e.commandName} ${String(e.command[e.commandName])}`);
    // The refusal counts against the user's budget once the answer is out (refusals/).
    await vi.waitFor(() => expect(data()).toContain('findAndModify rate-limits'));
    expect(data()).toEqual(['find sessions', 'findAndModify rate-limits']);
  });
});

describe('a function cut off by maxTimeMS', () => {
  let slow: TestServer;
  const openDb = uniqueDb('maxtime-open');
  beforeAll(async () => {
    slow = await startTestServer({
      functionsDir: resolve('test/fixtures/functions'),
      limits: { maxTimeMS: 1 },
    });
    const docs = Array.from({ length: 20_000 }, (_, i) => ({ i, s: `value-${i}` }));
    await slow.db.db(openDb).collection('many').insertMany(docs);
  });
  afterAll(async () => {
    await slow?.db.db(openDb).dropDatabase();
    await slow?.close();
  });

  it('gets a transient 503 ExecutionTimeLimitExceeded, logged without arguments', async () => {
    const { user } = await newUser(slow.newApp());
    const error = await user
      .callFunction('scanCollection', openDb, 'many')
      .catch((e: { statusCode?: number; errorCode?: string }) => e);
    expect(error).toMatchObject({ statusCode: 503, errorCode: 'ExecutionTimeLimitExceeded' });
    const logged = slow.logs.join('\n');
    expect(logged).toContain('exceeded maxTimeMS');
    expect(logged).not.toContain(openDb);
  });
});
