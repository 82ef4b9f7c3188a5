/**
 * Issue 11 (low): custom data over ~190 KB made every token exceed the header limit and the
 * user could no longer log in. Our API refuses writes past the limit (default 16 KB); a
 * document written elsewhere that is too big still gets a token, without the data, marked.
 */
import { decodeJwt } from 'jose';
import * as Realm from 'realm-web';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newUser, raw, startTestServer, type TestServer } from '../../../helpers/server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({}, { realTime: true });
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
