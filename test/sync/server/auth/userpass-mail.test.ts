import * as Realm from 'realm-web';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { USERPASS_TOKEN_TTL_MS } from '../../../../sync/server/auth/providers/userpass.js';
import { randomEmail, startTestServer, type TestServer } from '../../../helpers/server.js';
import { startSmtp, type TestSmtp } from '../../../helpers/smtp.js';

let server: TestServer;
let smtp: TestSmtp;
beforeAll(async () => {
  smtp = await startSmtp();
  server = await startTestServer({
    smtpUrl: smtp.url,
    mailFrom: 'Example App <no-reply@example.com>',
    authProviders: {
      'local-userpass': {
        name: 'local-userpass',
        type: 'local-userpass',
        config: {
          autoConfirm: false,
          emailConfirmationUrl: 'https://app.example.com/confirm',
          confirmEmailSubject: 'Please confirm',
          resetPasswordUrl: 'https://app.example.com/reset',
          resetPasswordSubject: 'Reset it',
        },
      },
    },
  });
});
afterAll(async () => {
  await server?.close();
  await smtp?.close();
});

describe('e-mail confirmation and password reset through real mail (realm-web 2.0.1)', () => {
  it('a new account is confirmed by the token of its mail, used once; it cannot log in before', async () => {
    const app = server.newApp();
    const email = randomEmail();
    await app.emailPasswordAuth.registerUser({ email, password: 'password1' });
    const mail = await smtp.next(email);
    expect(mail.text).toContain('Subject: Please confirm');
    expect(mail.text).toContain('no-reply@example.com');
    await expect(app.logIn(Realm.Credentials.emailPassword(email, 'password1'))).rejects.toMatchObject({
      statusCode: 401,
      errorCode: 'AuthError',
      error: 'unauthorized',
    });
    const { url, token, tokenId } = smtp.linkParams(mail);
    expect(url).toBe('https://app.example.com/confirm');
    await app.emailPasswordAuth.confirmUser({ token, tokenId });
    expect((await app.logIn(Realm.Credentials.emailPassword(email, 'password1'))).profile.email).toBe(email);
    await expect(app.emailPasswordAuth.confirmUser({ token, tokenId })).rejects.toMatchObject({
      statusCode: 400,
      errorCode: 'UserpassTokenInvalid',
    });
    await expect(app.emailPasswordAuth.resendConfirmationEmail({ email })).rejects.toMatchObject({
      errorCode: 'UserAlreadyConfirmed',
    });
    // Neither the token nor the mail reaches the log.
    expect(server.logs.join('\n')).not.toContain(token);
  });

  it('resends the confirmation mail; an expired token is refused', async () => {
    const app = server.newApp();
    const email = randomEmail();
    await app.emailPasswordAuth.registerUser({ email, password: 'password1' });
    const first = smtp.linkParams(await smtp.next(email));
    server.clock.advance(USERPASS_TOKEN_TTL_MS);
    await expect(app.emailPasswordAuth.confirmUser(first)).rejects.toMatchObject({
      errorCode: 'UserpassTokenInvalid',
    });
    await app.emailPasswordAuth.resendConfirmationEmail({ email });
    const second = smtp.linkParams(await smtp.next(email));
    expect(second.tokenId).not.toBe(first.tokenId);
    await app.emailPasswordAuth.confirmUser(second);
    await app.logIn(Realm.Credentials.emailPassword(email, 'password1'));
  });

  it('resets a forgotten password from the mailed token, once; the old password stops working', async () => {
    const app = server.newApp();
    const email = randomEmail();
    await app.emailPasswordAuth.registerUser({ email, password: 'password1' });
    await app.emailPasswordAuth.confirmUser(smtp.linkParams(await smtp.next(email)));
    const user = await app.logIn(Realm.Credentials.emailPassword(email, 'password1'));

    await app.emailPasswordAuth.sendResetPasswordEmail({ email });
    const mail = await smtp.next(email);
    expect(mail.text).toContain('Subject: Reset it');
    const { token, tokenId, url } = smtp.linkParams(mail);
    expect(url).toBe('https://app.example.com/reset');
    await app.emailPasswordAuth.resetPassword({ token, tokenId, password: 'password2' });
    await expect(
      app.emailPasswordAuth.resetPassword({ token, tokenId, password: 'password3' }),
    ).rejects.toMatchObject({
      errorCode: 'UserpassTokenInvalid',
    });
    await expect(app.logIn(Realm.Credentials.emailPassword(email, 'password1'))).rejects.toMatchObject({
      errorCode: 'InvalidPassword',
    });
    expect((await app.logIn(Realm.Credentials.emailPassword(email, 'password2'))).id).toBe(user.id);
  });

  it('refuses a reset for an unknown address with UserNotFound, and sends nothing', async () => {
    const app = server.newApp();
    const email = randomEmail();
    const before = smtp.mails.length;
    await expect(app.emailPasswordAuth.sendResetPasswordEmail({ email })).rejects.toMatchObject({
      statusCode: 404,
      errorCode: 'UserNotFound',
    });
    expect(smtp.mails.length).toBe(before);
  });

  it('throttles resets per account in MongoDB: past the hourly limit 429, shared with a second instance', async () => {
    const app = server.newApp();
    const email = randomEmail();
    await app.emailPasswordAuth.registerUser({ email, password: 'password1' });
    await smtp.next(email);
    const other = await startTestServer(
      { smtpUrl: smtp.url, authProviders: server.config.authProviders },
      { shareWith: server },
    );
    try {
      // The registration's confirmation mail counted as one.
      const limit = server.config.quotas.mailsPerAccountPerHour;
      for (let i = 1; i < limit; i++) {
        const target = i % 2 === 0 ? server : other;
        await target.newApp().emailPasswordAuth.sendResetPasswordEmail({ email });
      }
      await expect(other.newApp().emailPasswordAuth.sendResetPasswordEmail({ email })).rejects.toMatchObject({
        statusCode: 429,
      });
      server.clock.advance(60 * 60 * 1000);
      await other.newApp().emailPasswordAuth.sendResetPasswordEmail({ email });
    } finally {
      await other.close();
    }
  });
});

describe('without an SMTP server', () => {
  it('refuses to start a provider that needs mail, naming the setting', async () => {
    await expect(
      startTestServer({
        authProviders: {
          'local-userpass': {
            name: 'local-userpass',
            type: 'local-userpass',
            config: { autoConfirm: false, emailConfirmationUrl: 'https://app.example.com/confirm' },
          },
        },
      }),
    ).rejects.toThrow(/SMTP_URL/);
  });
});
