/** Issue 11 (low): each test reproduces one finding of the hostile run. */
import * as Realm from 'realm-web';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ADMIN_KEY,
  newUser,
  raw,
  registerAccount,
  startTestServer,
  type TestServer,
} from '../../../helpers/server.js';

let server: TestServer;
const call = () => `/api/client/v2.0/app/${server.config.appId}/functions/call`;
const auth = (token: string) => ({ 'content-type': 'application/json', authorization: `Bearer ${token}` });

beforeAll(async () => {
  server = await startTestServer({}, { realTime: true });
});
afterAll(() => server?.close());

function dataCall(token: string, name: string, args: Record<string, unknown>) {
  return raw(server, 'POST', call(), {
    headers: auth(token),
    body: JSON.stringify({
      name,
      service: 'mongodb-atlas',
      arguments: [{ database: server.config.customData.database, collection: 'custom-user-data', ...args }],
    }),
  });
}

describe('answers to requests with a valid access token never look like an invalid session', () => {
  it("linking a deleted user's credentials → 403, not 401", async () => {
    const { email, password } = await registerAccount(server);
    const doomed = await server.newApp().logIn(Realm.Credentials.emailPassword(email, password));
    await raw(server, 'DELETE', '/api/client/v2.0/auth/delete', {
      headers: auth(doomed.accessToken as string),
    });
    const anon = await server.newApp().logIn(Realm.Credentials.anonymous());
    const res = await raw(
      server,
      'POST',
      `/api/client/v2.0/app/${server.config.appId}/auth/providers/local-userpass/login?link=true`,
      { headers: auth(anon.accessToken as string), body: JSON.stringify({ username: email, password }) },
    );
    expect(res.status).toBe(403);
  });

  it('linking with a wrong password → 403, not 401', async () => {
    const { email } = await registerAccount(server);
    const anon = await server.newApp().logIn(Realm.Credentials.anonymous());
    const res = await raw(
      server,
      'POST',
      `/api/client/v2.0/app/${server.config.appId}/auth/providers/local-userpass/login?link=true`,
      {
        headers: auth(anon.accessToken as string),
        body: JSON.stringify({ username: email, password: 'wrong pass 1' }),
      },
    );
    expect(res.status).toBe(403);
  });
});

describe('bad input is a 400 and is never logged', () => {
  it('an invalid sort value → 400; the value is not in the log', async () => {
    const { user } = await newUser(server.newApp());
    const res = await dataCall(user.accessToken as string, 'find', {
      query: {},
      sort: { a: 'sekrit-sort-value' },
    });
    expect(res.status).toBe(400);
    expect(server.logs.join('\n')).not.toContain('sekrit-sort-value');
  });

  it('a malformed $symbol → 400', async () => {
    const { user } = await newUser(server.newApp());
    const res = await dataCall(user.accessToken as string, 'find', { query: { a: { $symbol: { x: 1 } } } });
    expect(res.status).toBe(400);
  });

  it('admin PATCH with conflicting paths → 400, not 500', async () => {
    const { user } = await newUser(server.newApp());
    await server.customData.insertOne({ userId: user.id, a: { b: 1 } });
    const res = await raw(server, 'PATCH', `/admin/v1/users/${user.id}/custom-data`, {
      headers: { 'x-admin-key': ADMIN_KEY, 'content-type': 'application/json' },
      body: JSON.stringify({ set: { a: 1, 'a.b': 2 } }),
    });
    expect(res.status).toBe(400);
  });
});

describe('rules check every operator-bearing argument and every EJSON form of the owner field', () => {
  it('$function in a projection → 400', async () => {
    const { user } = await newUser(server.newApp());
    const res = await dataCall(user.accessToken as string, 'find', {
      query: {},
      project: { x: { $function: { body: 'function () { return 1 }', args: [], lang: 'js' } } },
    });
    expect(res.status).toBe(400);
  });

  it('$where in arrayFilters → 400', async () => {
    const { user } = await newUser(server.newApp());
    const res = await dataCall(user.accessToken as string, 'updateOne', {
      query: {},
      update: { $set: { 'list.$[e]': 1 } },
      arrayFilters: [{ $where: 'true' }],
    });
    expect(res.status).toBe(400);
  });

  it('a $set written as an EJSON DBRef cannot reassign a document to another user', async () => {
    const victim = await newUser(server.newApp());
    const attacker = await newUser(server.newApp());
    await server.customData.insertOne({ userId: attacker.user.id, x: 1 });
    const res = await dataCall(attacker.user.accessToken as string, 'updateOne', {
      query: {},
      update: { $set: { $ref: 'x', $id: 1, userId: victim.user.id } },
    });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect(await server.customData.countDocuments({ userId: victim.user.id })).toBe(0);
  });
});

describe('registration refuses look-alike emails', () => {
  it.each([
    ['NUL', 'a\u0000b@example.com'],
    ['bidi override', 'ad\u202emin@example.com'],
    ['zero-width space', 'adm\u200bin@example.com'],
    ['zero-width joiner', 'adm\u200din@example.com'],
  ])('%s → 400', async (_what, email) => {
    const res = await raw(
      server,
      'POST',
      `/api/client/v2.0/app/${server.config.appId}/auth/providers/local-userpass/register`,
      {
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email, password: 'correct horse 1' }),
      },
    );
    expect(res.status).toBe(400);
  });
});

describe('tokens of deleted users and revoked sessions cannot write', () => {
  const write = (token: string) =>
    dataCall(token, 'updateOne', { query: {}, update: { $set: { x: 2 } }, upsert: true });

  it("a deleted user's still-valid access token is refused on writes", async () => {
    const { user } = await newUser(server.newApp());
    const token = user.accessToken as string;
    expect((await write(token)).status).toBe(200);
    await raw(server, 'DELETE', '/api/client/v2.0/auth/delete', { headers: auth(token) });
    expect((await write(token)).status).toBe(401);
    const fn = await raw(server, 'POST', call(), {
      headers: auth(token),
      body: JSON.stringify({ name: 'updateCustomUserData', arguments: [{ x: 3 }] }),
    });
    expect(fn.status).toBe(401);
  });

  it('a revoked session’s access token is refused on writes', async () => {
    const { user } = await newUser(server.newApp());
    const token = user.accessToken as string;
    expect((await write(token)).status).toBe(200);
    await raw(server, 'POST', `/admin/v1/users/${user.id}/revoke-sessions`, {
      headers: { 'x-admin-key': ADMIN_KEY },
    });
    expect((await write(token)).status).toBe(401);
  });
});
