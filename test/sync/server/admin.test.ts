import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_KEY, newUser, raw, startTestServer, type TestServer } from '../../helpers/server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server?.close());

const admin = (method: string, path: string, body?: unknown, key = ADMIN_KEY) =>
  raw(server, method, `/admin/v1${path}`, {
    headers: { 'x-admin-key': key, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });

describe('admin / tester API', () => {
  it('refuses a wrong or missing key with 403', async () => {
    expect((await admin('GET', '/users', undefined, 'wrong-key-wrong-key')).status).toBe(403);
    expect((await raw(server, 'GET', '/admin/v1/users')).status).toBe(403);
  });

  it('lists users without their custom data', async () => {
    const { user, email } = await newUser(server.newApp());
    await server.customData.insertOne({ userId: user.id, favoriteColor: 'do-not-list' });
    const res = await admin('GET', '/users');
    expect(res.status).toBe(200);
    expect(res.body).toContainEqual(
      expect.objectContaining({ id: user.id, identities: [expect.objectContaining({ email })] }),
    );
    expect(JSON.stringify(res.body)).not.toContain('do-not-list');
  });

  it('"another writer" changes custom data; the client sees it only after a refresh', async () => {
    const { user } = await newUser(server.newApp());
    const res = await admin('PATCH', `/users/${user.id}/custom-data`, { set: { favoriteColor: 'orange' } });
    expect(res.status).toBe(200);
    expect(res.body.favoriteColor).toBe('orange');
    expect(user.customData.favoriteColor).toBeUndefined();
    expect((await user.refreshCustomData()).favoriteColor).toBe('orange');
    expect((await admin('GET', `/users/${user.id}/custom-data`)).body.favoriteColor).toBe('orange');
    // The owner field is protected by the editable-path rule: the same 403 NoMatchingRuleFound as
    // the outbox and the data API (it was 400 here before the refusal was made one error).
    const moved = await admin('PATCH', `/users/${user.id}/custom-data`, { set: { userId: 'x' } });
    expect([moved.status, moved.body.error_code]).toEqual([403, 'NoMatchingRuleFound']);
    expect((await admin('DELETE', `/users/${user.id}/custom-data`)).body).toEqual({ deletedCount: 1 });
  });

  it('revokes sessions: the next refresh fails and realm-web logs the user out', async () => {
    const { user } = await newUser(server.newApp());
    expect((await admin('POST', `/users/${user.id}/revoke-sessions`)).body).toEqual({ revoked: 1 });
    await expect(user.refreshCustomData()).rejects.toMatchObject({
      statusCode: 401,
      errorCode: 'InvalidSession',
    });
    expect(user.state).toBe('logged-out');
  });

  it("reports the instance's counters: change streams, watch subscribers, session view", async () => {
    const res = await admin('GET', '/stats');
    expect(res.status).toBe(200);
    expect(res.body.watch).toEqual({
      feeds: expect.any(Number),
      openChangeStreams: expect.any(Number),
      subscribers: 0,
      droppedTooSlow: 0,
    });
    expect(res.body.sessionView).toEqual(expect.objectContaining({ state: expect.any(String) }));
    expect((await admin('GET', '/stats', undefined, 'wrong-key-wrong-key')).status).toBe(403);
  });

  it('changes the access-token lifetime at runtime', async () => {
    expect((await admin('PUT', '/settings/access-token-ttl', { seconds: 10 })).body).toEqual({ seconds: 10 });
    const { user } = await newUser(server.newApp());
    const claims = decodeJwt(user.accessToken as string);
    expect((claims.exp as number) - (claims.iat as number)).toBe(10);
    expect((await admin('PUT', '/settings/access-token-ttl', { seconds: 0 })).status).toBe(400);
    expect((await admin('GET', '/settings/access-token-ttl')).body).toEqual({ seconds: 10 });
  });

  it('rejects a malformed user id', async () => {
    expect((await admin('GET', '/users/not-an-id/custom-data')).status).toBe(400);
  });
});

describe('without ADMIN_KEY', () => {
  it('has no admin routes at all', async () => {
    const plain = await startTestServer({ adminKey: undefined });
    try {
      expect(
        (await raw(plain, 'GET', '/admin/v1/users', { headers: { 'x-admin-key': ADMIN_KEY } })).status,
      ).toBe(404);
    } finally {
      await plain.close();
    }
  });
});
