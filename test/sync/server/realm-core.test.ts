/**
 * Conformance with Realm Core's App client (the C++ library under the Node.js, Kotlin, Swift,
 * .NET and Dart SDKs), driven through its JNI build: nothing here parses the server's answers
 * but Core itself. Typed errors must come out as Core's typed errors, never as HTTPError.
 */
import { resolve } from 'node:path';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildHarness, CoreClient, harnessUnavailable } from '../../helpers/realm-core.js';
import { randomEmail, startTestServer, type TestServer } from '../../helpers/server.js';

const JWT_SECRET = 'a-signing-secret-for-core-conformance-32+';
const unavailable = harnessUnavailable();
if (unavailable && process.env.REQUIRE_REALM_CORE)
  throw new Error(`REQUIRE_REALM_CORE is set but the Realm Core harness cannot run: ${unavailable}`);

let server: TestServer;
let core: CoreClient;
beforeAll(async () => {
  if (unavailable) return;
  buildHarness();
  server = await startTestServer({
    functionsDir: resolve('test/fixtures/auth-functions'),
    secrets: { jwtKey: JWT_SECRET },
    authProviders: {
      'anon-user': { name: 'anon-user', type: 'anon-user' },
      'local-userpass': { name: 'local-userpass', type: 'local-userpass', config: { autoConfirm: true } },
      'api-key': { name: 'api-key', type: 'api-key' },
      'custom-token': {
        name: 'custom-token',
        type: 'custom-token',
        config: { signingAlgorithm: 'HS256' },
        secret_config: { signingKeys: ['jwtKey'] },
        metadata_fields: [{ required: true, name: 'email', field_name: 'email' }],
      },
      'custom-function': {
        name: 'custom-function',
        type: 'custom-function',
        config: { authFunctionName: 'authFunc' },
      },
    },
  });
  core = CoreClient.start(server.url, server.config.appId);
}, 180_000);
afterAll(async () => {
  if (core) expect(await core.close()).toBe(0);
  await server?.close();
});

const password = 'correct horse 1';
const typed = (error: { codeName: string; category: string; httpStatusCode?: number }) => ({
  codeName: error.codeName,
  category: error.category,
  httpStatusCode: error.httpStatusCode,
});

describe.skipIf(unavailable)('Realm Core 14.12.0 App client (realm-kotlin 2.3.0 JNI)', () => {
  it('registers, refuses the same e-mail again with AccountNameInUse, and a wrong password with InvalidPassword', async () => {
    const email = randomEmail();
    await core.ok({ op: 'register', email, password });
    expect(typed(await core.error({ op: 'register', email, password }))).toEqual({
      codeName: 'AccountNameInUse',
      category: 'service_error',
      httpStatusCode: 409,
    });
    expect(typed(await core.error({ op: 'login', provider: 'email', email, password: 'wrong one' }))).toEqual(
      {
        codeName: 'InvalidPassword',
        category: 'service_error',
        httpStatusCode: 401,
      },
    );
  });

  it('logs in with e-mail/password: profile, identities and custom data from the token', async () => {
    const email = randomEmail();
    await core.ok({ op: 'register', email, password });
    const login = await core.ok<{ userId: string; state: string }>({
      op: 'login',
      provider: 'email',
      email,
      password,
    });
    expect(login.state).toBe('LoggedIn');
    expect(await core.ok({ op: 'identities' })).toEqual([
      expect.objectContaining({ providerType: 'local-userpass' }),
    ]);
    expect(await core.ok({ op: 'profile' })).toMatchObject({ email });
    expect(await core.ok({ op: 'deviceId' })).toMatch(/^[0-9a-f]{24}$/);
    expect(await core.ok({ op: 'customData' })).toBeNull();

    // Another writer: the token keeps its snapshot until refreshCustomData.
    await server.customData.insertOne({ userId: login.userId, favoriteColor: 'teal' });
    expect(await core.ok({ op: 'customData' })).toBeNull();
    await core.ok({ op: 'refreshCustomData' });
    expect(await core.ok({ op: 'customData' })).toMatchObject({
      userId: login.userId,
      favoriteColor: 'teal',
    });
  });

  it('logs in anonymously', async () => {
    const login = await core.ok<{ userId: string }>({ op: 'login', provider: 'anon', reuse: false });
    expect(login.userId).toMatch(/^[0-9a-f]{24}$/);
    expect(await core.ok({ op: 'identities' })).toEqual([
      expect.objectContaining({ providerType: 'anon-user' }),
    ]);
    await core.ok({ op: 'logout' });
  });

  it('calls functions, refuses an unknown one with FunctionNotFound, and uses the data API', async () => {
    const email = randomEmail();
    await core.ok({ op: 'register', email, password });
    const { userId } = await core.ok<{ userId: string }>({ op: 'login', provider: 'email', email, password });
    await core.ok({ op: 'callFunction', name: 'updateCustomUserData', args: [{ favoriteColor: 'plum' }] });
    expect(typed(await core.error({ op: 'callFunction', name: 'noSuchFunction', args: [] }))).toEqual({
      codeName: 'FunctionNotFound',
      category: 'service_error',
      httpStatusCode: 404,
    });
    const where = {
      database: server.config.customData.database,
      collection: server.config.customData.collection,
    };
    expect(await core.ok({ op: 'count', ...where, filter: {} })).toEqual({ $numberLong: '1' });
    expect(await core.ok({ op: 'find', ...where, filter: {} })).toEqual([
      expect.objectContaining({ userId, favoriteColor: 'plum' }),
    ]);
    const updated = await core.ok({
      op: 'updateOne',
      ...where,
      filter: { userId },
      update: { $set: { language: 'fr' } },
    });
    expect(updated).toMatchObject({ matchedCount: expect.anything(), modifiedCount: expect.anything() });
    expect(await core.ok({ op: 'findOne', ...where, filter: { userId } })).toMatchObject({ language: 'fr' });
    // Rules hold for Core too: another user's document is out of reach.
    expect(
      typed(
        await core.error({
          op: 'find',
          database: server.config.appDatabase,
          collection: 'users',
          filter: {},
        }),
      ),
    ).toEqual({
      codeName: 'NoMatchingRuleFound',
      category: 'service_error',
      httpStatusCode: 403,
    });
  });

  it('after the access token expired, refreshes it by itself and reads the custom data anew', async () => {
    const email = randomEmail();
    await core.ok({ op: 'register', email, password });
    const { userId } = await core.ok<{ userId: string }>({ op: 'login', provider: 'email', email, password });
    await server.customData.insertOne({ userId, favoriteColor: 'red' });
    server.clock.advance((server.config.accessTokenTtlSeconds + 1) * 1000);
    const before = await core.ok<string>({ op: 'accessToken' });
    await core.ok({ op: 'callFunction', name: 'updateCustomUserData', args: [{ language: 'de' }] });
    expect(await core.ok<string>({ op: 'accessToken' })).not.toBe(before);
    expect(await core.ok({ op: 'customData' })).toMatchObject({ favoriteColor: 'red' });
    expect(await core.ok({ op: 'state' })).toBe('LoggedIn');
  });

  it('logs out (the session is gone) and deletes a user, keeping their custom data document', async () => {
    const email = randomEmail();
    await core.ok({ op: 'register', email, password });
    const { userId } = await core.ok<{ userId: string }>({ op: 'login', provider: 'email', email, password });
    await server.customData.insertOne({ userId, favoriteColor: 'gold' });
    await core.ok({ op: 'logout' });
    expect(await core.ok({ op: 'state', user: userId })).toBe('LoggedOut');
    const sessions = server.db.db(server.config.appDatabase).collection('sessions');
    expect(await sessions.countDocuments({ userId })).toBe(0);

    await core.ok({ op: 'login', provider: 'email', email, password });
    await core.ok({ op: 'delete' });
    expect(
      await server.db.db(server.config.appDatabase).collection('users').countDocuments({}),
    ).toBeGreaterThan(0);
    expect(await sessions.countDocuments({ userId })).toBe(0);
    expect(await server.customData.countDocuments({ userId })).toBe(1);
    expect(typed(await core.error({ op: 'login', provider: 'email', email, password }))).toMatchObject({
      codeName: 'InvalidPassword',
    });
  });

  it('creates a user API key and logs in with it; logs in with a custom JWT and a custom function', async () => {
    const email = randomEmail();
    await core.ok({ op: 'register', email, password });
    const { userId } = await core.ok<{ userId: string }>({ op: 'login', provider: 'email', email, password });
    const key = await core.ok<{ id: string; key: string; name: string; disabled: boolean }>({
      op: 'createApiKey',
      name: 'core',
    });
    expect(key).toMatchObject({ name: 'core', disabled: false });
    expect(await core.ok({ op: 'fetchApiKeys' })).toEqual([expect.objectContaining({ name: 'core' })]);
    const byKey = await core.ok<{ userId: string }>({ op: 'login', provider: 'api-key', key: key.key });
    expect(byKey.userId).toBe(userId);

    const now = Math.floor(server.clock.now() / 1000);
    const token = await new SignJWT({ sub: 'idp|core', email: 'core@example.com' })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuedAt(now)
      .setExpirationTime(now + 600)
      .sign(new TextEncoder().encode(JWT_SECRET));
    await core.ok({ op: 'login', provider: 'jwt', token });
    expect(await core.ok({ op: 'identities' })).toEqual([{ id: 'idp|core', providerType: 'custom-token' }]);
    expect(await core.ok({ op: 'profile' })).toMatchObject({ email: 'core@example.com' });
    expect(typed(await core.error({ op: 'login', provider: 'jwt', token: `${token}x` }))).toMatchObject({
      codeName: 'AuthError',
      httpStatusCode: 401,
    });

    await core.ok({ op: 'login', provider: 'function', payload: { username: 'fn-user' } });
    expect(await core.ok({ op: 'identities' })).toEqual([{ id: 'fn-user', providerType: 'custom-function' }]);
    expect(
      typed(await core.error({ op: 'login', provider: 'function', payload: { username: 'banned' } })),
    ).toMatchObject({
      codeName: 'AuthError',
    });
  });
});
