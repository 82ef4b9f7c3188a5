/**
 * Issue 11 (medium/low): values the database refuses or we do not support are one request's
 * 400, never a shared failure; malformed EJSON is refused instead of stored as a wrong value;
 * a stored regular expression cannot lock its user out; storable BSON round-trips.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newUser, raw, startTestServer, type TestServer } from '../../../helpers/server.js';

let server: TestServer;
const call = () => `/api/client/v2.0/app/${server.config.appId}/functions/call`;

beforeAll(async () => {
  // One user sends every refused value in turn: no refusal budget here (refusals.test.ts).
  server = await startTestServer({ quotas: { refusedRequestsPerUserPerMinute: 0 } }, { realTime: true });
});
afterAll(() => server?.close());

function dataCall(token: string, name: string, args: Record<string, unknown>) {
  return raw(server, 'POST', call(), {
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({
      name,
      service: 'mongodb-atlas',
      arguments: [{ database: server.config.customData.database, collection: 'custom-user-data', ...args }],
    }),
  });
}
const setField = (token: string, value: unknown) =>
  dataCall(token, 'updateOne', { query: {}, update: { $set: { field: value } }, upsert: true });

const MALFORMED: [string, unknown][] = [
  ['$date "x"', { $date: 'x' }],
  ['$numberInt "1.5"', { $numberInt: '1.5' }],
  ['$numberInt out of range', { $numberInt: '2147483648' }],
  ['$numberLong "abc"', { $numberLong: 'abc' }],
  ['$numberDouble "one"', { $numberDouble: 'one' }],
  ['$binary junk subtype', { $binary: { base64: 'AAAA', subType: 'zz' } }],
  ['$binary reserved subtype', { $binary: { base64: 'AAAA', subType: '7f' } }],
  ['$binary bad base64', { $binary: { base64: '!!', subType: '00' } }],
  ['$oid short', { $oid: '1234' }],
  ['$symbol not a string', { $symbol: 1 }],
];
const UNSUPPORTED: [string, unknown][] = [
  ['NaN', { $numberDouble: 'NaN' }],
  ['Infinity', { $numberDouble: 'Infinity' }],
  ['MinKey', { $minKey: 1 }],
  ['MaxKey', { $maxKey: 1 }],
  ['Code', { $code: 'function () { return 1 }' }],
  ['Symbol', { $symbol: 'sym' }],
  ['DBRef', { $ref: 'other', $id: 1 }],
  ['Decimal128', { $numberDecimal: '1.5' }],
];

describe('refused values', () => {
  it.each([...MALFORMED, ...UNSUPPORTED])(
    '%s → 400, nothing stored, value not echoed in logs',
    async (_name, value) => {
      const { user } = await newUser(server.newApp());
      const res = await setField(user.accessToken as string, value);
      expect(res.status).toBe(400);
      expect(await server.customData.countDocuments({ userId: user.id })).toBe(0);
      expect(server.logs.join('\n')).not.toContain(JSON.stringify(value));
    },
  );

  it('also in function arguments (updateCustomUserData)', async () => {
    const { user } = await newUser(server.newApp());
    const res = await raw(server, 'POST', call(), {
      headers: { 'content-type': 'application/json', authorization: `Bearer ${user.accessToken}` },
      body: JSON.stringify({ name: 'updateCustomUserData', arguments: [{ field: { $date: 'x' } }] }),
    });
    expect(res.status).toBe(400);
  });

  it('a bystander writing concurrently never sees a failure', async () => {
    const attacker = await newUser(server.newApp());
    const bystander = await newUser(server.newApp());
    const bad = [...MALFORMED, ...UNSUPPORTED].map(([, v]) => v);
    const writes = Array.from({ length: 36 }, (_, i) =>
      setField(bystander.user.accessToken as string, i).then((r) => r.status),
    );
    const attacks = Array.from({ length: 36 }, (_, i) =>
      setField(attacker.user.accessToken as string, bad[i % bad.length]).then((r) => r.status),
    );
    const [good, refused] = await Promise.all([Promise.all(writes), Promise.all(attacks)]);
    expect(good).toEqual(Array(36).fill(200));
    expect(new Set(refused)).toEqual(new Set([400]));
  });
});

describe('stored BSON', () => {
  it('a stored regular expression the JS engine cannot compile does not lock the user out', async () => {
    const app = server.newApp();
    const { user, email, password } = await newUser(app);
    const set = await setField(user.accessToken as string, {
      $regularExpression: { pattern: '(', options: '' },
    });
    expect(set.status).toBe(200);
    const find = await dataCall(user.accessToken as string, 'findOne', { query: {} });
    expect(find.status).toBe(200);
    expect(find.body.field).toEqual({ $regularExpression: { pattern: '(', options: '' } });
    await user.refreshCustomData();
    expect(user.customData.field).toBeDefined();
    const again = await server
      .newApp()
      .logIn((await import('realm-web')).Credentials.emailPassword(email, password));
    expect(again.id).toBe(user.id);
  });

  it('every storable type round-trips through the data API without a 500', async () => {
    const { user } = await newUser(server.newApp());
    const value = {
      oid: { $oid: '0123456789abcdef01234567' },
      date: { $date: { $numberLong: '1700000000000' } },
      int: { $numberInt: '7' },
      long: { $numberLong: '9007199254740993' },
      double: { $numberDouble: '1.5' },
      bin: { $binary: { base64: 'AQID', subType: '00' } },
      uuid: { $binary: { base64: 'AAAAAAAAAAAAAAAAAAAAAA==', subType: '04' } },
      re: { $regularExpression: { pattern: 'a+', options: 'i' } },
      ts: { $timestamp: { t: 1, i: 2 } },
      nested: { list: [true, null, 'text', { deep: { $numberInt: '1' } }] },
    };
    expect((await setField(user.accessToken as string, value)).status).toBe(200);
    const res = await dataCall(user.accessToken as string, 'findOne', { query: {} });
    expect(res.status).toBe(200);
    expect(res.body.field).toEqual(value);
    await user.refreshCustomData();
    expect(Object.keys(user.customData.field as object).sort()).toEqual(Object.keys(value).sort());
  });
});
