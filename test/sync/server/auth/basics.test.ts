import { createHash } from 'node:crypto';
import { decodeJwt } from 'jose';
import * as Realm from 'realm-web';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newUser, randomEmail, raw, startTestServer, type TestServer } from '../../../helpers/server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server?.close());

describe('auth with the unmodified realm-web 2.0.1 client', () => {
  it('answers location with its own origin as hostname', async () => {
    const res = await raw(server, 'GET', `/api/client/v2.0/app/${server.config.appId}/location`);
    expect(res.status).toBe(200);
    expect(res.body.hostname).toBe(server.url);
    expect(res.body.ws_hostname).toBe(server.url.replace('http', 'ws'));
  });

  it('registers, logs in and returns a profile with one email identity', async () => {
    const app = server.newApp();
    const { user, email } = await newUser(app);
    expect(user.state).toBe('active');
    expect(user.profile.email).toBe(email);
    expect(user.profile.name).toBeUndefined();
    expect(user.identities.map((i) => i.providerType)).toEqual(['local-userpass']);
    expect(user.deviceId).toMatch(/^[0-9a-f]{24}$/);
    expect(() => JSON.stringify(user)).not.toThrow();
  });

  it('reuses the device id on the next login from the same app', async () => {
    const app = server.newApp();
    const { user, email, password } = await newUser(app);
    const first = user.deviceId;
    await user.logOut();
    const again = await app.logIn(Realm.Credentials.emailPassword(email, password));
    expect(again.deviceId).toBe(first);
  });

  it('refuses a second registration of the same email (any case) with AccountNameInUse', async () => {
    const app = server.newApp();
    const email = randomEmail();
    await app.emailPasswordAuth.registerUser({ email, password: 'password1' });
    await expect(
      app.emailPasswordAuth.registerUser({ email: email.toUpperCase(), password: 'password2' }),
    ).rejects.toMatchObject({
      statusCode: 409,
      errorCode: 'AccountNameInUse',
    });
  });

  it('rejects a wrong password with InvalidPassword, never a refresh', async () => {
    const app = server.newApp();
    const { email } = await newUser(app);
    await expect(app.logIn(Realm.Credentials.emailPassword(email, 'wrong password'))).rejects.toMatchObject({
      statusCode: 401,
      errorCode: 'InvalidPassword',
    });
  });

  it('rate-limits repeated failed logins of one account', async () => {
    const app = server.newApp();
    const { email } = await newUser(app);
    for (let i = 0; i < server.config.maxFailedLogins; i++) {
      await expect(app.logIn(Realm.Credentials.emailPassword(email, `nope${i}`))).rejects.toMatchObject({
        statusCode: 401,
      });
    }
    await expect(app.logIn(Realm.Credentials.emailPassword(email, 'correct horse 1'))).rejects.toMatchObject({
      statusCode: 429,
      errorCode: 'TooManyRequests',
    });
    server.clock.advance(server.config.loginWindowSeconds * 1000);
    const user = await app.logIn(Realm.Credentials.emailPassword(email, 'correct horse 1'));
    expect(user.state).toBe('active');
  });

  it('logs in anonymously with empty custom data', async () => {
    const app = server.newApp();
    const user = await app.logIn(Realm.Credentials.anonymous());
    expect(user.providerType).toBe('anon-user');
    expect(user.customData).toEqual({});
    expect(user.identities).toHaveLength(1);
  });

  it('logs out idempotently (an unknown refresh token also gets 204)', async () => {
    const app = server.newApp();
    const { user } = await newUser(app);
    await user.logOut();
    expect(user.state).toBe('logged-out');
    const again = await raw(server, 'DELETE', '/api/client/v2.0/auth/session', {
      headers: { authorization: 'Bearer not-a-session' },
    });
    expect(again.status).toBe(204);
  });

  it('hands out a refresh token that is a JWT with sub, iat and exp (Realm Core reads them)', async () => {
    const app = server.newApp();
    const { user } = await newUser(app);
    const claims = decodeJwt(user.refreshToken as string);
    expect(claims).toMatchObject({ sub: user.id, typ: 'refresh', aud: server.config.appId });
    expect((claims.exp as number) - (claims.iat as number)).toBe(server.config.refreshTokenTtlSeconds);
    // A refresh token is no access token.
    const res = await raw(server, 'GET', '/api/client/v2.0/auth/profile', {
      headers: { authorization: `Bearer ${user.refreshToken}` },
    });
    expect(res).toMatchObject({ status: 401, body: { error_code: 'InvalidSession' } });
  });

  it('still refreshes with an opaque refresh token handed out before the upgrade, until its session expires', async () => {
    const app = server.newApp();
    const { user } = await newUser(app);
    const legacy = 'Xq2y0b5mH0w0u3n9JvQk6o1Gd7c8s4pT2r1e5w6a7b8';
    const sessions = server.db.db(server.config.appDatabase).collection('sessions');
    const now = server.clock.now();
    await sessions.insertOne({
      _id: createHash('sha256').update(legacy).digest('hex') as never,
      userId: user.id,
      deviceId: user.deviceId as string,
      createdAt: new Date(now),
      expiresAt: new Date(now + 60_000),
    });
    const refresh = () =>
      raw(server, 'POST', '/api/client/v2.0/auth/session', {
        headers: { authorization: `Bearer ${legacy}` },
      });
    const ok = await refresh();
    expect(ok.status).toBe(201);
    expect(decodeJwt(ok.body.access_token).sub).toBe(user.id);
    server.clock.advance(60_000);
    expect(await refresh()).toMatchObject({ status: 401, body: { error_code: 'InvalidSession' } });
  });

  it('answers JSON, errors included, as exactly application/json (Realm Core reads error_code only then)', async () => {
    const location = await raw(server, 'GET', `/api/client/v2.0/app/${server.config.appId}/location`);
    expect(location.contentType).toBe('application/json');
    const refused = await raw(server, 'POST', '/api/client/v2.0/auth/session', {
      headers: { authorization: 'Bearer nope' },
    });
    expect(refused).toMatchObject({ status: 401, contentType: 'application/json' });
    const unknown = await raw(server, 'GET', '/api/client/v2.0/nowhere');
    expect(unknown).toMatchObject({ status: 404, contentType: 'application/json' });
  });

  it('refuses a refresh after logout with InvalidSession "failed to find refresh token"', async () => {
    const app = server.newApp();
    const { user } = await newUser(app);
    const refreshToken = user.refreshToken as string;
    await user.logOut();
    const res = await raw(server, 'POST', '/api/client/v2.0/auth/session', {
      headers: { authorization: `Bearer ${refreshToken}` },
    });
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({
      error_code: 'InvalidSession',
      error: 'invalid session: failed to find refresh token',
    });
  });

  it('deletes a user but keeps their custom data; their credentials then fail with "unauthorized"', async () => {
    const app = server.newApp();
    const { user, email, password } = await newUser(app);
    await server.customData.insertOne({ userId: user.id, favoriteColor: 'teal' });
    await app.deleteUser(user);
    expect(await server.customData.countDocuments({ userId: user.id })).toBe(1);
    await expect(app.logIn(Realm.Credentials.emailPassword(email, password))).rejects.toThrow(/unauthorized/);
    // The email can be registered again, as a new user.
    await app.emailPasswordAuth.registerUser({ email, password });
    const reborn = await app.logIn(Realm.Credentials.emailPassword(email, password));
    expect(reborn.id).not.toBe(user.id);
  });

  it("links email/password to an anonymous user with that user's token while another user is current", async () => {
    const app = server.newApp();
    const anon = await app.logIn(Realm.Credentials.anonymous());
    const email = randomEmail();
    await app.emailPasswordAuth.registerUser({ email, password: 'password1' });
    await newUser(app); // another user becomes current
    expect(app.currentUser?.id).not.toBe(anon.id);
    await anon.linkCredentials(Realm.Credentials.emailPassword(email, 'password1'));
    expect(anon.identities.map((i) => i.providerType)).toEqual(['anon-user', 'local-userpass']);
    // The linked email now logs in as the anonymous user.
    const same = await server.newApp().logIn(Realm.Credentials.emailPassword(email, 'password1'));
    expect(same.id).toBe(anon.id);
  });

  it('refuses to link an email that already belongs to another user', async () => {
    const app = server.newApp();
    const { email, password } = await newUser(app);
    const anon = await app.logIn(Realm.Credentials.anonymous(false));
    await expect(
      anon.linkCredentials(Realm.Credentials.emailPassword(email, password)),
    ).rejects.toMatchObject({
      statusCode: 409,
      errorCode: 'AccountNameInUse',
    });
  });

  it('answers the email confirmation and reset endpoints as an auto-confirming Atlas app does', async () => {
    const app = server.newApp();
    const email = randomEmail();
    await app.emailPasswordAuth.registerUser({ email, password: 'password1' });
    await expect(app.emailPasswordAuth.confirmUser({ token: 'x', tokenId: 'y' })).rejects.toThrow(
      /invalid token data/,
    );
    await expect(app.emailPasswordAuth.resendConfirmationEmail({ email })).rejects.toThrow(
      /already confirmed/,
    );
    await expect(app.emailPasswordAuth.retryCustomConfirmation({ email })).rejects.toThrow(
      `cannot run confirmation for ${email}: automatic confirmation is enabled`,
    );
    await expect(app.emailPasswordAuth.sendResetPasswordEmail({ email })).rejects.toThrow(
      /please use reset password via function/,
    );
  });
});
