import { resolve } from 'node:path';
import * as Realm from 'realm-web';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomEmail, raw, startTestServer, type TestServer } from '../../../helpers/server.js';

const pending = globalThis as {
  pendingConfirmation?: { token: string; tokenId: string };
  pendingReset?: { token: string; tokenId: string };
};

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({
    functionsDir: resolve('test/fixtures/auth-functions'),
    authProviders: {
      'anon-user': { name: 'anon-user', type: 'anon-user' },
      'local-userpass': {
        name: 'local-userpass',
        type: 'local-userpass',
        config: {
          autoConfirm: false,
          runConfirmationFunction: true,
          confirmationFunctionName: 'confirmFunc',
          runResetFunction: true,
          resetFunctionName: 'resetFunc',
        },
      },
      'custom-function': {
        name: 'custom-function',
        type: 'custom-function',
        config: { authFunctionName: 'authFunc' },
      },
      'old-provider': { name: 'old-provider', type: 'anon-user', disabled: true },
    },
  });
});
afterAll(() => server?.close());

describe('custom function auth (realm-web 2.0.1)', () => {
  it('logs in as the id the function returns; the same id is the same user', async () => {
    const user = await server.newApp().logIn(Realm.Credentials.function({ username: 'erin', name: 'Erin' }));
    expect(user.identities).toEqual([{ id: 'erin', providerType: 'custom-function' }]);
    expect(user.profile.name).toBe('Erin');
    const again = await server.newApp().logIn(Realm.Credentials.function({ username: 'erin' }));
    expect(again.id).toBe(user.id);
  });

  it("refuses the login when the function throws; the function's message never reaches the logs", async () => {
    await expect(
      server.newApp().logIn(Realm.Credentials.function({ username: 'banned' })),
    ).rejects.toMatchObject({
      statusCode: 401,
      errorCode: 'AuthError',
    });
    expect(server.logs.join('\n')).not.toContain('secret-xyz');
  });

  it('is not callable by clients as a function (it is private)', async () => {
    const user = await server.newApp().logIn(Realm.Credentials.function({ username: 'frank' }));
    await expect(user.functions.callFunction('authFunc', { username: 'x' })).rejects.toMatchObject({
      errorCode: 'FunctionNotFound',
    });
  });
});

describe('confirmation and reset functions', () => {
  it('confirmation: success logs in at once, pending after confirmUser, fail refuses the registration', async () => {
    const app = server.newApp();
    const ok = `ok-${randomEmail()}`;
    await app.emailPasswordAuth.registerUser({ email: ok, password: 'password1' });
    await app.logIn(Realm.Credentials.emailPassword(ok, 'password1'));

    const wait = `wait-${randomEmail()}`;
    await app.emailPasswordAuth.registerUser({ email: wait, password: 'password1' });
    await expect(app.logIn(Realm.Credentials.emailPassword(wait, 'password1'))).rejects.toMatchObject({
      errorCode: 'AuthError',
    });
    const { token, tokenId } = pending.pendingConfirmation as { token: string; tokenId: string };
    await app.emailPasswordAuth.confirmUser({ token, tokenId });
    await app.logIn(Realm.Credentials.emailPassword(wait, 'password1'));

    const no = `no-${randomEmail()}`;
    await expect(
      app.emailPasswordAuth.registerUser({ email: no, password: 'password1' }),
    ).rejects.toMatchObject({
      statusCode: 400,
    });
    await expect(app.logIn(Realm.Credentials.emailPassword(no, 'password1'))).rejects.toMatchObject({
      errorCode: 'InvalidPassword',
    });
  });

  it('retries a pending confirmation through the function', async () => {
    const app = server.newApp();
    const email = `wait-${randomEmail()}`;
    await app.emailPasswordAuth.registerUser({ email, password: 'password1' });
    const first = pending.pendingConfirmation?.tokenId;
    await app.emailPasswordAuth.retryCustomConfirmation({ email });
    expect(pending.pendingConfirmation?.tokenId).not.toBe(first);
    await app.emailPasswordAuth.confirmUser(
      pending.pendingConfirmation as { token: string; tokenId: string },
    );
    await app.logIn(Realm.Credentials.emailPassword(email, 'password1'));
  });

  it('reset: success sets the password, pending waits for resetPassword, fail changes nothing', async () => {
    const app = server.newApp();
    const email = `ok-${randomEmail()}`;
    await app.emailPasswordAuth.registerUser({ email, password: 'password1' });
    const user = await app.logIn(Realm.Credentials.emailPassword(email, 'password1'));

    await app.emailPasswordAuth.callResetPasswordFunction({ email, password: 'password2' }, 'yes');
    expect((await app.logIn(Realm.Credentials.emailPassword(email, 'password2'))).id).toBe(user.id);

    await expect(
      app.emailPasswordAuth.callResetPasswordFunction({ email, password: 'password3' }, 'nope'),
    ).rejects.toMatchObject({ statusCode: 400, error: `failed to reset password for user "${email}"` });
    await app.logIn(Realm.Credentials.emailPassword(email, 'password2'));

    await app.emailPasswordAuth.callResetPasswordFunction({ email, password: 'password4' }, 'later');
    await app.logIn(Realm.Credentials.emailPassword(email, 'password2'));
    const { token, tokenId } = pending.pendingReset as { token: string; tokenId: string };
    await app.emailPasswordAuth.resetPassword({ token, tokenId, password: 'password4' });
    expect((await app.logIn(Realm.Credentials.emailPassword(email, 'password4'))).id).toBe(user.id);
  });
});

describe('providers: disabled, unknown, linking', () => {
  it('answers a disabled and an unknown provider as App Services did', async () => {
    const path = (name: string) => `/api/client/v2.0/app/${server.config.appId}/auth/providers/${name}/login`;
    const disabled = await raw(server, 'POST', path('old-provider'), {
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(disabled).toMatchObject({
      status: 401,
      body: { error_code: 'InvalidSession', error: 'unauthorized' },
    });
    const unknown = await raw(server, 'POST', path('oauth2-google'), {
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(unknown).toMatchObject({
      status: 401,
      body: { error_code: 'InvalidSession', error: 'unauthorized' },
    });
  });

  it('an anonymous user links a custom function identity and keeps their id and custom data', async () => {
    const app = server.newApp();
    const anon = await app.logIn(Realm.Credentials.anonymous());
    await server.customData.insertOne({ userId: anon.id, favoriteColor: 'mint' });
    await anon.linkCredentials(Realm.Credentials.function({ username: 'gina' }));
    expect(anon.identities.map((i) => i.providerType)).toEqual(['anon-user', 'custom-function']);
    const later = await server.newApp().logIn(Realm.Credentials.function({ username: 'gina' }));
    expect(later.id).toBe(anon.id);
    expect(later.customData).toMatchObject({ favoriteColor: 'mint' });
    // Another anonymous user cannot take the same identity.
    const other = await server.newApp().logIn(Realm.Credentials.anonymous(false));
    await expect(
      other.linkCredentials(Realm.Credentials.function({ username: 'gina' })),
    ).rejects.toMatchObject({
      statusCode: 409,
      errorCode: 'AccountNameInUse',
    });
  });
});
