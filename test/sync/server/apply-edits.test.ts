import type * as Realm from 'realm-web';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newUser, startTestServer, type TestServer } from '../../helpers/server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server?.close());

const batch = (seq: number, ops: unknown[]) => ({ deviceId: 'device-0001', seq, ops });

describe('applyCustomDataEdits (the outbox function)', () => {
  it('applies a batch once, reports the values before it, and treats a re-send as a duplicate', async () => {
    const { user } = await newUser(server.newApp());
    await server.customData.insertOne({ userId: user.id, favoriteColor: 'blue', n: 1 });
    const ops = [
      { op: 'set', path: 'favoriteColor', value: 'red' },
      { op: 'inc', path: 'n', value: 5 },
      { op: 'set', path: 'new.field', value: true },
    ];
    const first = await user.callFunction('applyCustomDataEdits', batch(3, ops));
    const after = { userId: user.id, favoriteColor: 'red', n: 6, new: { field: true } };
    expect(first).toMatchObject({
      appliedSeq: 3,
      duplicate: false,
      before: {
        favoriteColor: { exists: true, value: 'blue' },
        n: { exists: true, value: 1 },
        'new.field': { exists: false },
      },
      // The document after the batch, as user_data carries it (no bookkeeping).
      data: after,
    });
    expect(Object.keys((first as { data: object }).data)).not.toContain('_customdataDeskSync');
    const again = await user.callFunction('applyCustomDataEdits', batch(3, ops));
    expect(again).toMatchObject({ appliedSeq: 3, duplicate: true, before: {}, data: after });
    const doc = await server.customData.findOne({ userId: user.id });
    expect(doc).toMatchObject({ favoriteColor: 'red', n: 6, new: { field: true } });
    // The bookkeeping is in the document but never shown to the user.
    expect(Object.keys(doc ?? {})).toContain('_customdataDeskSync');
    const data = await user.refreshCustomData();
    expect(Object.keys(data)).not.toContain('_customdataDeskSync');
    const viaDataApi = await user
      .mongoClient('mongodb-atlas')
      .db(server.config.customData.database)
      .collection('custom-user-data')
      .findOne({});
    expect(Object.keys(viaDataApi ?? {})).not.toContain('_customdataDeskSync');
  });

  it('creates the document when the user has none', async () => {
    const { user } = await newUser(server.newApp());
    await user.callFunction(
      'applyCustomDataEdits',
      batch(1, [{ op: 'set', path: 'timezone', value: 'UTC' }]),
    );
    expect(await server.customData.findOne({ userId: user.id })).toMatchObject({ timezone: 'UTC' });
  });

  it.each([
    ['__proto__.userId', 'prototype paths'],
    ['constructor.x', 'prototype paths'],
    ['userId', 'the owner field'],
    ['_id', 'the id'],
    ['_customdataDeskSync.device-0001', 'the bookkeeping'],
    ['a..b', 'malformed paths'],
  ])('refuses an edit of %s (%s) and writes nothing', async (path) => {
    const { user } = await newUser(server.newApp());
    await expect(
      user.callFunction('applyCustomDataEdits', batch(1, [{ op: 'set', path, value: 'x' }])),
    ).rejects.toMatchObject({
      statusCode: expect.any(Number),
    });
    expect(await server.customData.countDocuments({ userId: user.id })).toBe(0);
    expect(({} as Record<string, unknown>).userId).toBeUndefined();
  });

  it('answers edits MongoDB can never apply with 400 (set aside), not 503 (retried forever)', async () => {
    const { user } = await newUser(server.newApp());
    await server.customData.insertOne({ userId: user.id, name: 'text' });
    const err = await user
      .callFunction('applyCustomDataEdits', batch(1, [{ op: 'inc', path: 'name', value: 1 }]))
      .catch((e: Realm.MongoDBRealmError) => e);
    expect((err as Realm.MongoDBRealmError).statusCode).toBe(400);
  });
});
