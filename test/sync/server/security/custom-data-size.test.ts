/**
 * Issue 11 (low): custom data over ~190 KB made every token exceed the header limit and the
 * user could no longer log in. Our API refuses writes past the limit (default 16 KB); a
 * document written elsewhere that is too big still gets a token, without the data, marked.
 */
import { decodeJwt } from 'jose';
import { BSON } from 'mongodb';
import * as Realm from 'realm-web';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_KEY, newUser, raw, startTestServer, type TestServer } from '../../../helpers/server.js';

let server: TestServer;
beforeAll(async () => {
  // Users here send dozens of oversized writes a minute: no refusal budget (refusals.test.ts).
  server = await startTestServer({ quotas: { refusedRequestsPerUserPerMinute: 0 } }, { realTime: true });
});
afterAll(() => server?.close());

function dataCall(token: string, name: string, args: Record<string, unknown>) {
  return raw(server, 'POST', `/api/client/v2.0/app/${server.config.appId}/functions/call`, {
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({
      name,
      service: 'mongodb-atlas',
      arguments: [{ database: server.config.customData.database, collection: 'custom-user-data', ...args }],
    }),
  });
}

function callFunction(token: string, name: string, args: unknown[]) {
  return raw(server, 'POST', `/api/client/v2.0/app/${server.config.appId}/functions/call`, {
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ name, arguments: args }),
  });
}

const applyBatch = (token: string, deviceId: string, seq: number, ops: unknown[]) =>
  callFunction(token, 'applyCustomDataEdits', [{ deviceId, seq, ops }]);

const LIMIT = 16 * 1024;
const sizeOf = (doc: unknown) => BSON.calculateObjectSize(doc as BSON.Document);

describe('custom data size', () => {
  it('the default limit is 16 KB', () => {
    expect(server.config.customData.maxDocumentBytes).toBe(16 * 1024);
  });

  it('an update that takes the document over the limit → 400, the document is unchanged', async () => {
    const { user } = await newUser(server.newApp());
    const token = user.accessToken as string;
    expect(
      (await dataCall(token, 'updateOne', { query: {}, update: { $set: { a: 'small' } }, upsert: true }))
        .status,
    ).toBe(200);
    const res = await dataCall(token, 'updateOne', {
      query: {},
      update: { $set: { b: 'x'.repeat(20_000) } },
    });
    expect(res.status).toBe(400);
    const docs = await server.customData.find({ userId: user.id }).toArray();
    expect(docs).toHaveLength(1);
    expect(docs[0]?.a).toBe('small');
    expect(docs[0]?.b).toBeUndefined();
  });

  it('updateCustomUserData over the limit → 400, the document is unchanged', async () => {
    const { user } = await newUser(server.newApp());
    await server.customData.insertOne({ userId: user.id, a: 'small' });
    const res = await raw(server, 'POST', `/api/client/v2.0/app/${server.config.appId}/functions/call`, {
      headers: { 'content-type': 'application/json', authorization: `Bearer ${user.accessToken}` },
      body: JSON.stringify({ name: 'updateCustomUserData', arguments: [{ b: 'x'.repeat(20_000) }] }),
    });
    expect(res.status).toBe(400);
    const doc = await server.customData.findOne({ userId: user.id });
    expect(doc?.a).toBe('small');
    expect(doc?.b).toBeUndefined();
  });

  it('data API updates over the limit are refused while the same user increments concurrently: no increment is lost', async () => {
    const { user } = await newUser(server.newApp());
    const token = user.accessToken as string;
    await dataCall(token, 'updateOne', { query: {}, update: { $set: { n: 0 } }, upsert: true });
    const increments = Array.from({ length: 30 }, () =>
      dataCall(token, 'updateOne', { query: {}, update: { $inc: { n: 1 } } }),
    );
    const oversized = Array.from({ length: 30 }, (_, i) =>
      dataCall(token, 'updateOne', { query: {}, update: { $set: { [`big${i}`]: 'x'.repeat(20_000) } } }),
    );
    const interleaved = increments.flatMap((inc, i) => [inc, oversized[i] as (typeof oversized)[number]]);
    const statuses = (await Promise.all(interleaved)).map((r) => r.status);
    expect(statuses.filter((_, i) => i % 2 === 0)).toEqual(Array(30).fill(200));
    expect(statuses.filter((_, i) => i % 2 === 1)).toEqual(Array(30).fill(400));
    // Refused writes are aborted inside their transaction, never undone by hand: an undo could
    // put back a copy from before another request's increment.
    const doc = await server.customData.findOne({ userId: user.id });
    expect(doc?.n).toBe(30);
    expect(sizeOf(doc)).toBeLessThanOrEqual(LIMIT);
  });

  it('an insert over the limit → 400, nothing stored', async () => {
    const { user } = await newUser(server.newApp());
    const res = await dataCall(user.accessToken as string, 'insertOne', {
      document: { b: 'x'.repeat(20_000) },
    });
    expect(res.status).toBe(400);
    expect(await server.customData.countDocuments({ userId: user.id })).toBe(0);
  });

  it('a too-big document written elsewhere: login and refresh still work, the token says the data was left out', async () => {
    const app = server.newApp();
    const { user, email, password } = await newUser(app);
    await server.customData.insertOne({ userId: user.id, blob: 'x'.repeat(200_000) });
    const again = await server.newApp().logIn(Realm.Credentials.emailPassword(email, password));
    const claims = decodeJwt(again.accessToken as string);
    expect(claims.user_data).toBeUndefined();
    expect(claims.user_data_omitted).toMatchObject({ limit: 16 * 1024 });
    await again.refreshAccessToken();
    expect(decodeJwt(again.accessToken as string).user_data_omitted).toBeDefined();
  });
});

describe('the limit inside the atomic update (applyCustomDataEdits, admin PATCH, updateCustomUserData)', () => {
  it('an edit batch that takes the document over the limit → 400 naming the limit, nothing applied', async () => {
    const { user } = await newUser(server.newApp());
    const token = user.accessToken as string;
    expect(
      (await applyBatch(token, 'device-aaaa', 1, [{ op: 'set', path: 'a', value: 'small' }])).status,
    ).toBe(200);
    const res = await applyBatch(token, 'device-aaaa', 2, [
      { op: 'set', path: 'b', value: 'x'.repeat(20_000) },
      { op: 'set', path: 'c', value: 1 },
    ]);
    expect(res.status).toBe(400);
    expect(res.body.error).toContain(`the limit is ${LIMIT}`);
    const doc = await server.customData.findOne({ userId: user.id });
    expect(doc).toMatchObject({ a: 'small' });
    expect(doc?.b).toBeUndefined();
    expect(doc?.c).toBeUndefined();
    // The same batch sent again gets the same verdict: it can never succeed.
    expect(
      (await applyBatch(token, 'device-aaaa', 2, [{ op: 'set', path: 'b', value: 'x'.repeat(20_000) }]))
        .status,
    ).toBe(400);
  });

  it('a first batch (no document yet) over the limit → 400, nothing stored', async () => {
    const { user } = await newUser(server.newApp());
    const res = await applyBatch(user.accessToken as string, 'device-aaaa', 1, [
      { op: 'set', path: 'b', value: 'x'.repeat(20_000) },
    ]);
    expect(res.status).toBe(400);
    expect(await server.customData.countDocuments({ userId: user.id })).toBe(0);
  });

  it('admin PATCH over the limit → 400 naming the limit, the document is unchanged', async () => {
    const { user } = await newUser(server.newApp());
    await server.customData.insertOne({ userId: user.id, a: 'small' });
    const res = await raw(server, 'PATCH', `/admin/v1/users/${user.id}/custom-data`, {
      headers: { 'content-type': 'application/json', 'x-admin-key': ADMIN_KEY },
      body: JSON.stringify({ set: { b: 'x'.repeat(20_000) } }),
    });
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body)).toContain(`the limit is ${LIMIT}`);
    const doc = await server.customData.findOne({ userId: user.id });
    expect(doc?.a).toBe('small');
    expect(doc?.b).toBeUndefined();
    const ok = await raw(server, 'PATCH', `/admin/v1/users/${user.id}/custom-data`, {
      headers: { 'content-type': 'application/json', 'x-admin-key': ADMIN_KEY },
      body: JSON.stringify({ set: { b: 'fits' } }),
    });
    expect(ok.status).toBe(200);
  });

  it('a write that shrinks a document already over the limit (written elsewhere) is allowed', async () => {
    const { user } = await newUser(server.newApp());
    await server.customData.insertOne({ userId: user.id, blob: 'x'.repeat(30_000), keep: 1 });
    const res = await applyBatch(user.accessToken as string, 'device-aaaa', 1, [
      { op: 'unset', path: 'blob' },
    ]);
    expect(res.status).toBe(200);
    expect(await server.customData.findOne({ userId: user.id })).toMatchObject({ keep: 1 });
  });

  it('a document of 64-bit integers near the limit (read back smaller than stored) still takes a batch that fits', async () => {
    const { user } = await newUser(server.newApp());
    // Read back through the driver, each Long becomes a JS number (4 bytes as Int32, 8 stored).
    const longs = Array.from({ length: 200 }, () => BSON.Long.fromNumber(1));
    const base = { _id: new BSON.ObjectId(), userId: user.id, longs, x: 'w'.repeat(100), filler: '' };
    // 50 bytes below the limit as stored, 850 below as read back: replacing x (same size) fits.
    base.filler = 'f'.repeat(LIMIT - 50 - sizeOf(base));
    await server.customData.insertOne(base);
    const res = await applyBatch(user.accessToken as string, 'device-aaaa', 1, [
      { op: 'set', path: 'x', value: 'v'.repeat(100) },
    ]);
    expect(res.status).toBe(200);
    const stored = await server.customData.findOne({ userId: user.id }, { promoteValues: false });
    expect(sizeOf(stored)).toBeLessThanOrEqual(LIMIT);
    expect(String(stored?.x)).toBe('v'.repeat(100));
  });

  it('oversized writes refused while another device writes concurrently: none of its batches is lost', async () => {
    const { user } = await newUser(server.newApp());
    const token = user.accessToken as string;
    await server.customData.insertOne({ userId: user.id, start: true });
    const rounds = 25;
    const statuses: number[] = [];
    const otherDevice = (async () => {
      for (let seq = 1; seq <= rounds; seq++) {
        const res = await applyBatch(token, 'device-bbbb', seq, [{ op: 'set', path: `b${seq}`, value: seq }]);
        statuses.push(res.status);
      }
    })();
    const oversized = (async () => {
      for (let i = 1; i <= rounds; i++) {
        const viaFunction = await callFunction(token, 'updateCustomUserData', [{ big: 'x'.repeat(20_000) }]);
        const viaBatch = await applyBatch(token, 'device-aaaa', i, [
          { op: 'set', path: 'big', value: 'y'.repeat(20_000) },
        ]);
        expect([viaFunction.status, viaBatch.status]).toEqual([400, 400]);
      }
    })();
    await Promise.all([otherDevice, oversized]);
    expect(statuses).toEqual(Array(rounds).fill(200));
    const doc = await server.customData.findOne({ userId: user.id });
    for (let seq = 1; seq <= rounds; seq++) expect(doc?.[`b${seq}`]).toBe(seq);
    expect(doc?.big).toBeUndefined();
  });

  it('near the limit, two devices racing: every batch is applied or refused (400), none is lost, the document stays within the limit', async () => {
    const { user } = await newUser(server.newApp());
    const token = user.accessToken as string;
    // About 1 KB below the limit: a few of the 300-byte edits below fit, the others do not.
    await server.customData.insertOne({ userId: user.id, filler: 'f'.repeat(LIMIT - 1_100) });
    const applied: string[] = [];
    const refused: string[] = [];
    const device = async (deviceId: string) => {
      for (let seq = 1; seq <= 8; seq++) {
        const path = `${deviceId}_${seq}`;
        const res = await applyBatch(token, deviceId, seq, [{ op: 'set', path, value: 'v'.repeat(300) }]);
        expect([200, 400]).toContain(res.status);
        (res.status === 200 ? applied : refused).push(path);
      }
    };
    await Promise.all([device('device_aaaa'), device('device_bbbb')]);
    const doc = await server.customData.findOne({ userId: user.id });
    expect(sizeOf(doc)).toBeLessThanOrEqual(LIMIT);
    expect(applied.length).toBeGreaterThan(0);
    expect(refused.length).toBeGreaterThan(0);
    for (const path of applied) expect(doc?.[path]).toBe('v'.repeat(300));
    for (const path of refused) expect(doc?.[path]).toBeUndefined();
  });
});
