import * as Realm from 'realm-web';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_USER_API_KEYS } from '../../../../sync/server/auth/providers/api-keys.js';
import { ADMIN_KEY, newUser, raw, startTestServer, type TestServer } from '../../../helpers/server.js';

const providers = {
  'anon-user': { name: 'anon-user', type: 'anon-user', disabled: false },
  'local-userpass': { name: 'local-userpass', type: 'local-userpass', config: { autoConfirm: true } },
  'api-key': { name: 'api-key', type: 'api-key', disabled: false },
};

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ authProviders: providers });
});
afterAll(() => server?.close());

describe('API keys with the unmodified realm-web 2.0.1 client', () => {
  it('a user creates a key, sees it once, and logs in with it as themselves', async () => {
    const app = server.newApp();
    const { user } = await newUser(app);
    const created = await user.apiKeys.create('laptop');
    expect(created).toMatchObject({ name: 'laptop', disabled: false });
    expect(created.key).toMatch(/^[A-Za-z0-9]{64}$/);
    expect(created._id).toMatch(/^[0-9a-f]{24}$/);
    const listed = await user.apiKeys.fetchAll();
    expect(listed).toEqual([{ _id: created._id, name: 'laptop', disabled: false }]);
    expect(await user.apiKeys.fetch(created._id)).toEqual({
      _id: created._id,
      name: 'laptop',
      disabled: false,
    });

    const byKey = await server.newApp().logIn(Realm.Credentials.apiKey(created.key as string));
    expect(byKey.id).toBe(user.id);
    // The key is stored hashed: nothing in the database holds it.
    const stored = await server.db.db(server.config.appDatabase).collection('api_keys').findOne({});
    expect(JSON.stringify(stored)).not.toContain(created.key);
  });

  it('a disabled key is refused until enabled again; a deleted one for good', async () => {
    const app = server.newApp();
    const { user } = await newUser(app);
    const { _id, key } = await user.apiKeys.create('ci');
    await user.apiKeys.disable(_id);
    expect((await user.apiKeys.fetch(_id)).disabled).toBe(true);
    const login = () => server.newApp().logIn(Realm.Credentials.apiKey(key as string));
    await expect(login()).rejects.toMatchObject({
      statusCode: 401,
      errorCode: 'AuthError',
      error: 'unauthorized',
    });
    await user.apiKeys.enable(_id);
    expect((await login()).id).toBe(user.id);
    await user.apiKeys.delete(_id);
    await expect(login()).rejects.toMatchObject({ statusCode: 401 });
    await expect(user.apiKeys.fetch(_id)).rejects.toMatchObject({
      statusCode: 404,
      errorCode: 'APIKeyNotFound',
    });
  });

  it('refuses to delete or disable the key the session logged in with (403)', async () => {
    const { user } = await newUser(server.newApp());
    const { _id, key } = await user.apiKeys.create('self');
    const byKey = await server.newApp().logIn(Realm.Credentials.apiKey(key as string));
    await expect(byKey.apiKeys.delete(_id)).rejects.toMatchObject({ statusCode: 403 });
    await expect(byKey.apiKeys.disable(_id)).rejects.toMatchObject({ statusCode: 403 });
    // Through a session that logged in otherwise it goes.
    await user.apiKeys.delete(_id);
    expect(await user.apiKeys.fetchAll()).toEqual([]);
  });

  it('refuses a duplicate name, a bad name, keys for anonymous users, and more than the cap', async () => {
    const { user } = await newUser(server.newApp());
    await user.apiKeys.create('one');
    await expect(user.apiKeys.create('one')).rejects.toMatchObject({
      statusCode: 409,
      errorCode: 'APIKeyAlreadyExists',
    });
    await expect(user.apiKeys.create('no spaces!')).rejects.toMatchObject({ statusCode: 400 });
    for (let i = 1; i < MAX_USER_API_KEYS; i++) await user.apiKeys.create(`k${i}`);
    await expect(user.apiKeys.create('one-too-many')).rejects.toMatchObject({ statusCode: 400 });
    const anon = await server.newApp().logIn(Realm.Credentials.anonymous());
    await expect(anon.apiKeys.create('anon')).rejects.toMatchObject({ statusCode: 403 });
  });

  it('a server API key made through the admin API logs in as its own server user', async () => {
    const admin = { 'x-admin-key': ADMIN_KEY, 'content-type': 'application/json' };
    const made = await raw(server, 'POST', '/admin/v1/api-keys', {
      headers: admin,
      body: JSON.stringify({ name: 'backend' }),
    });
    expect(made.status).toBe(201);
    const user = await server.newApp().logIn(Realm.Credentials.apiKey(made.body.key));
    expect(user.id).toBe(made.body.userId);
    const profile = await raw(server, 'GET', '/api/client/v2.0/auth/profile', {
      headers: { authorization: `Bearer ${user.accessToken}` },
    });
    expect(profile.body).toMatchObject({ type: 'server', identities: [{ provider_type: 'api-key' }] });
    const listed = await raw(server, 'GET', '/admin/v1/api-keys', { headers: admin });
    expect(listed.body).toContainEqual({
      _id: made.body._id,
      name: 'backend',
      disabled: false,
      userId: user.id,
    });
    expect(JSON.stringify(listed.body)).not.toContain(made.body.key);
    const removed = await raw(server, 'DELETE', `/admin/v1/api-keys/${made.body._id}`, {
      headers: { 'x-admin-key': ADMIN_KEY },
    });
    expect(removed.status).toBe(204);
    await expect(server.newApp().logIn(Realm.Credentials.apiKey(made.body.key))).rejects.toMatchObject({
      statusCode: 401,
    });
  });

  it('refuses API keys where no api-key provider is configured', async () => {
    const plain = await startTestServer();
    try {
      const { user } = await newUser(plain.newApp());
      await expect(user.apiKeys.create('x')).rejects.toMatchObject({
        statusCode: 404,
        errorCode: 'AuthProviderNotFound',
      });
      await expect(plain.newApp().logIn(Realm.Credentials.apiKey('k'.repeat(64)))).rejects.toMatchObject({
        statusCode: 401,
        errorCode: 'InvalidSession',
      });
    } finally {
      await plain.close();
    }
  });
});
