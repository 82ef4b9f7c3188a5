/**
 * The engine's account flows against the real backend and a real (loopback) SMTP server: an
 * anonymous user turned into an e-mail account (same id, cache and outbox), a forgotten password
 * reset with the mailed link, and the server's refusals as sentences a person understands.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUTH_SENTENCES } from '../../../sync/client/index.js';
import { SwitchableNetwork, settled, waitForStatus, withStack } from '../../helpers/client.js';
import { ADMIN_KEY, randomEmail, raw, startTestServer } from '../../helpers/server.js';
import { startSmtp, type TestSmtp } from '../../helpers/smtp.js';

const PROVIDERS = {
  'anon-user': { name: 'anon-user', type: 'anon-user', disabled: false },
  'local-userpass': {
    name: 'local-userpass',
    type: 'local-userpass',
    config: { autoConfirm: true, resetPasswordUrl: 'https://app.example.com/reset' },
  },
};

let smtp: TestSmtp;

// Registered before the stack's hooks: the mail server starts before the backend and stops after it.
beforeAll(async () => {
  smtp = await startSmtp();
});
afterAll(async () => {
  await smtp?.close();
});
const stack = withStack(() => ({ smtpUrl: smtp.url, authProviders: PROVIDERS }));

describe('create an account from an anonymous session', () => {
  it('keeps the user id, the data and the outbox; the session becomes the e-mail account', async () => {
    const net = new SwitchableNetwork();
    const c = stack.client({ net });
    const anon = await c.logIn({ anonymous: true });
    await c.set('favoriteColor', 'mint');
    await settled(c);
    // An edit the server cannot take yet stays queued through the change.
    net.failing = { to: /functions\/call/, status: 500 };
    const seq = await c.set('nickname', 'Sam');
    await waitForStatus(c, (s) => s.connection === 'failing');

    const email = randomEmail();
    const user = await c.createAccount({ email: email.toUpperCase(), password: 'password-1' });
    expect(user).toEqual({ id: anon.id, provider: 'local-userpass', email });
    expect(c.status.user).toEqual({ id: anon.id, provider: 'local-userpass', email });
    expect(c.outbox.list().map((e) => e.seq)).toEqual([seq]);
    expect(c.view.data).toMatchObject({ favoriteColor: 'mint', nickname: 'Sam' });
    expect(net.requests).toContain(
      'POST /api/client/v2.0/app/customdata-desk/auth/providers/local-userpass/login',
    );

    net.failing = undefined;
    await c.notifyOnline();
    await settled(c);
    await c.logOut();
    expect((await c.logIn({ email, password: 'password-1' })).id).toBe(anon.id);
    await settled(c);
    expect(c.customData).toMatchObject({ favoriteColor: 'mint', nickname: 'Sam' });
  });

  it('after a session expiry the re-login is for that e-mail', async () => {
    const c = stack.client();
    const anon = await c.logIn({ anonymous: true });
    const email = randomEmail();
    await c.createAccount({ email, password: 'password-1' });
    await raw(stack.server, 'POST', `/admin/v1/users/${anon.id}/revoke-sessions`, {
      headers: { 'x-admin-key': ADMIN_KEY },
    });
    await c.tester.expireAccessToken();
    const expired = await waitForStatus(c, (s) => s.session === 'expired');
    expect(expired.user).toEqual({ id: anon.id, provider: 'local-userpass', email });
    await c.logIn({ email, password: 'password-1' });
    expect(c.status.session).toBe('active');
    expect(c.status.user?.id).toBe(anon.id);
  });

  it('an e-mail that belongs to someone: "already exists", and the session stays anonymous', async () => {
    const owner = stack.client();
    const email = randomEmail();
    await owner.register(email, 'password-1');
    await owner.logIn({ email, password: 'password-1' });

    const c = stack.client();
    const anon = await c.logIn({ anonymous: true });
    // Right password (the identity is owned) and wrong password: the same answer.
    for (const password of ['password-1', 'another-password']) {
      await expect(c.createAccount({ email, password })).rejects.toMatchObject({
        message: AUTH_SENTENCES.nameInUse,
        code: 'AccountNameInUse',
      });
    }
    expect(c.status.user).toEqual({ id: anon.id, provider: 'anon-user', email: null });
  });

  it('a link lost on the way is finished by trying again (the e-mail is already registered then)', async () => {
    const net = new SwitchableNetwork();
    const c = stack.client({ net });
    const anon = await c.logIn({ anonymous: true });
    const email = randomEmail();
    net.failing = { to: /link=true/, status: 502 };
    await expect(c.createAccount({ email, password: 'password-1' })).rejects.toThrow(
      /^Can't reach the server/,
    );
    await waitForStatus(c, (s) => s.connection === 'unreachable');
    expect(c.status.user?.provider).toBe('anon-user');
    net.failing = undefined;
    expect(await c.createAccount({ email, password: 'password-1' })).toMatchObject({ id: anon.id, email });
  });

  it('refuses without an anonymous session', async () => {
    const c = stack.client();
    await expect(c.createAccount({ email: randomEmail(), password: 'password-1' })).rejects.toThrow(
      'no user is logged in',
    );
    const email = randomEmail();
    await c.register(email, 'password-1');
    await c.logIn({ email, password: 'password-1' });
    await expect(c.createAccount({ email: randomEmail(), password: 'password-1' })).rejects.toThrow(
      'already signed in with an e-mail account',
    );
  });
});

describe('forgotten password, reset with the mailed link', () => {
  it('mails a link whose token sets a new password once; the old one stops working', async () => {
    const c = stack.client();
    const email = randomEmail();
    await c.register(email, 'old-password');
    const user = await c.logIn({ email, password: 'old-password' });
    await c.logOut();

    await c.requestPasswordReset(email);
    const link = smtp.linkParams(await smtp.next(email));
    expect(link.url).toBe('https://app.example.com/reset');
    await c.resetPassword({ token: link.token, tokenId: link.tokenId, password: 'new-password' });
    await expect(
      c.resetPassword({ token: link.token, tokenId: link.tokenId, password: 'third-password' }),
    ).rejects.toMatchObject({ message: AUTH_SENTENCES.resetLinkInvalid, code: 'UserpassTokenInvalid' });
    await expect(c.logIn({ email, password: 'old-password' })).rejects.toMatchObject({
      status: 401,
      code: 'InvalidPassword',
      message: 'Wrong e-mail or password.',
    });
    expect((await c.logIn({ email, password: 'new-password' })).id).toBe(user.id);
  });

  it('an unknown address, a damaged link, and a server without reset by mail: sentences', async () => {
    const c = stack.client();
    const before = smtp.mails.length;
    await expect(c.requestPasswordReset(randomEmail())).rejects.toMatchObject({
      status: 404,
      message: 'No account uses this e-mail.',
    });
    expect(smtp.mails.length).toBe(before);
    await expect(
      c.resetPassword({ token: 'abc', tokenId: '0123456789abcdef01234567', password: 'new-password' }),
    ).rejects.toMatchObject({ status: 400, message: AUTH_SENTENCES.resetLinkInvalid });

    // Default providers: e-mail/password without a reset URL.
    const plain = await startTestServer();
    try {
      const other = stack.client({ on: plain });
      await expect(other.requestPasswordReset(randomEmail())).rejects.toMatchObject({
        message: 'Password reset by e-mail is not enabled on this server.',
      });
    } finally {
      await plain.close();
    }
  });

  it('no network: the connection goes unreachable and the sentence says so', async () => {
    const net = new SwitchableNetwork();
    const c = stack.client({ net });
    await settled(c);
    net.down = true;
    await expect(c.requestPasswordReset(randomEmail())).rejects.toMatchObject({
      name: 'NetworkError',
      message: "Can't reach the server (fetch failed). Check the connection, then try again.",
    });
    expect(c.status.connection).toBe('unreachable');
  });
});

describe('accounts that need confirming', () => {
  it('an unconfirmed login and an unconfirmed link say what to do', async () => {
    const strict = await startTestServer({
      smtpUrl: smtp.url,
      authProviders: {
        ...PROVIDERS,
        'local-userpass': {
          name: 'local-userpass',
          type: 'local-userpass',
          config: { autoConfirm: false, emailConfirmationUrl: 'https://app.example.com/confirm' },
        },
      },
    });
    try {
      const c = stack.client({ on: strict });
      const email = randomEmail();
      await c.register(email, 'password-1');
      await expect(c.logIn({ email, password: 'password-1' })).rejects.toMatchObject({
        code: 'AuthError',
        message: 'This account is not confirmed yet, or the sign-in was refused.',
      });
      const anon = await c.logIn({ anonymous: true });
      const linked = randomEmail();
      await expect(c.createAccount({ email: linked, password: 'password-1' })).rejects.toMatchObject({
        message: AUTH_SENTENCES.linkNotConfirmed,
      });
      // Confirmed from the mail, the same form finishes the job.
      const confirm = smtp.linkParams(await smtp.next(linked));
      await raw(
        strict,
        'POST',
        `/api/client/v2.0/app/${strict.config.appId}/auth/providers/local-userpass/confirm`,
        {
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ token: confirm.token, tokenId: confirm.tokenId }),
        },
      );
      expect(await c.createAccount({ email: linked, password: 'password-1' })).toMatchObject({ id: anon.id });
    } finally {
      await strict.close();
    }
  });
});
