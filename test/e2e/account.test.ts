/**
 * The account walk in a real Chromium, the real backend and a real (loopback) SMTP server: start
 * anonymous, set a field, create an account (the data stays), log out, "Forgot password?" with
 * the link from the real mail, set a new password, log in with it and see the data. Each step is
 * saved in both themes as docs/screenshots/<step>-<theme>-800x600.png.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomEmail } from '../helpers/server.js';
import { startSmtp, type TestSmtp } from '../helpers/smtp.js';
import { poll, startWebApp, type WebApp, webAppReady } from '../helpers/web-app.js';

describe.skipIf(!webAppReady)(
  'create an account, forget the password, reset it: real Chromium and mail',
  () => {
    let smtp: TestSmtp;
    let app: WebApp;
    let page: WebApp['page'];
    const button = (name: string) => page.getByRole('button', { name, exact: true });
    const email = randomEmail();

    /** The step in the light and the dark theme, at 800×600. */
    async function shots(step: string) {
      for (const theme of ['light', 'dark'] as const) {
        await page.emulateMedia({ colorScheme: theme });
        await app.shot(`${step}-${theme}-800x600`);
      }
      await page.emulateMedia({ colorScheme: 'light' });
    }

    beforeAll(async () => {
      smtp = await startSmtp();
      app = await startWebApp({
        viewport: { width: 800, height: 600 },
        server: {
          smtpUrl: smtp.url,
          authProviders: {
            'anon-user': { name: 'anon-user', type: 'anon-user', disabled: false },
            'local-userpass': {
              name: 'local-userpass',
              type: 'local-userpass',
              config: { autoConfirm: true, resetPasswordUrl: 'https://app.example.com/reset' },
            },
          },
        },
      });
      page = app.page;
    });
    afterAll(async () => {
      await app?.close();
      await smtp?.close();
    });

    it('walks from anonymous to an account with a new password, keeping the data', async () => {
      await page.goto(app.url());
      await button('Continue anonymously').click();
      await poll(() => page.locator('.topbar').textContent()).toContain('anonymous');
      const userId = app.client().status.user?.id;
      await page.getByLabel('New field name').fill('nickname');
      await page.getByLabel('New field value').fill('Sam');
      await button('Add field').click();
      await poll(() => page.getByTestId('pending-count').textContent()).toBe('0 pending');
      await poll(() => app.meterState()).toBe('live');
      await shots('anonymous-data');

      // Create an account: a small form that says the data stays.
      await button('Create an account').click();
      const dialog = page.getByRole('dialog', { name: 'Create an account' });
      await poll(() => dialog.count()).toBe(1);
      expect(await dialog.textContent()).toContain('Your data stays with you');
      await poll(() => dialog.getByLabel('Email').evaluate((e) => e === document.activeElement)).toBe(true);
      // Someone's address (registered by the test helper): refused in the form, with the sentence.
      await dialog.getByLabel('Email').fill(app.email);
      await dialog.getByLabel('Password').fill('not-their-password');
      await dialog.getByRole('button', { name: 'Create account' }).click();
      await poll(() => dialog.getByRole('alert').textContent()).toBe(
        'An account with this e-mail already exists.',
      );
      expect(await page.locator('.topbar').textContent()).toContain('anonymous');
      await shots('create-account-error');
      await dialog.getByLabel('Email').fill(email);
      await dialog.getByLabel('Password').fill('first-password');
      await shots('create-account-filled');
      await dialog.getByRole('button', { name: 'Create account' }).click();
      await poll(() => dialog.count()).toBe(0);
      await poll(() => page.getByTestId('notice').textContent()).toContain(`you are signed in as ${email}`);
      expect(await page.locator('.topbar').textContent()).toContain(email);
      expect(await button('Create an account').count()).toBe(0);
      expect(await page.getByLabel('Value of nickname').inputValue()).toBe('Sam');
      expect(app.client().status.user).toEqual({ id: userId, provider: 'local-userpass', email });
      await shots('account-created');

      // An e-mail account now: logging out asks nothing (no pending edits, not anonymous).
      await button('Log out').click();
      await poll(() => page.getByRole('heading', { name: 'Sign in' }).count()).toBe(1);
      expect(await page.getByTestId('notice').count()).toBe(0);

      // Forgot password: the e-mail, then the link from the real mail and a new password.
      await button('Forgot password?').click();
      await poll(() => page.getByRole('heading', { name: 'Reset your password' }).count()).toBe(1);
      await page.getByLabel('Email').fill(randomEmail());
      await button('Send reset link').click();
      await poll(() => page.getByRole('alert').textContent()).toBe('No account uses this e-mail.');
      expect(await page.getByTestId('reset-sent').count()).toBe(0);
      await shots('forgot-password-error');
      await page.getByLabel('Email').fill(email);
      await shots('forgot-password-filled');
      await button('Send reset link').click();
      await poll(() => page.getByTestId('reset-sent').count()).toBe(1);
      expect(await page.getByTestId('reset-sent').textContent()).toContain(email);
      await shots('reset-link-sent');
      const mail = await smtp.next(email);
      const link = /https:\/\/app\.example\.com\/reset\?\S+/.exec(mail.text)?.[0] ?? '';
      expect(link).toContain('tokenId=');
      await page.getByLabel('Paste the link from the e-mail').fill(link);
      await page.getByLabel('New password', { exact: true }).fill('second-password');
      await shots('reset-password-filled');
      await button('Set new password').click();
      await poll(() => page.getByTestId('login-notice').count()).toBe(1);
      expect(await page.getByTestId('login-notice').textContent()).toBe(
        'Your password was changed. Sign in with the new password.',
      );
      expect(await page.getByLabel('Email').inputValue()).toBe(email);
      await shots('password-changed');

      // The old password is refused with a sentence; the new one opens the same data.
      await page.getByLabel('Password', { exact: true }).fill('first-password');
      await button('Log in').click();
      await poll(() => page.locator('.alert').textContent()).toContain('Wrong e-mail or password.');
      await shots('wrong-password');
      await page.getByLabel('Password', { exact: true }).fill('second-password');
      await button('Log in').click();
      await poll(() => app.meterState()).toBe('live');
      expect(await page.getByLabel('Value of nickname').inputValue()).toBe('Sam');
      expect(app.client().status.user?.id).toBe(userId);
      expect(await page.locator('.alert').count()).toBe(0);
      await shots('signed-in-again');
    });
  },
);
