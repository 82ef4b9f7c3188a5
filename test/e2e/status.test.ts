/**
 * Status you can trust, in a real Chromium (issue #10 "Status and errors"): the pinned status bar
 * and its clickable parts, the banners that come and go with their cause, the questions before
 * data could be lost, the re-login as the same user, and the tester console's way out of the
 * logged-out simulated-offline dead end.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { poll, startWebApp, type WebApp, webAppReady } from '../helpers/web-app.js';

describe.skipIf(!webAppReady)('status and errors, real Chromium', () => {
  let app: WebApp;
  let page: WebApp['page'];
  const text = (testId: string) => page.getByTestId(testId).textContent();
  const count = (testId: string) => page.getByTestId(testId).count();
  const button = (name: string) => page.getByRole('button', { name, exact: true });

  beforeAll(async () => {
    app = await startWebApp({ viewport: { width: 1280, height: 720 } });
    page = app.page;
  });
  afterAll(async () => {
    await app?.close();
  });

  it("shows the backend's real token lifetime and confirms a change; the clock skew speaks minutes", async () => {
    await page.goto(app.url());
    // On the login screen already: the tester console is there.
    await poll(() => text('backend-ttl')).toContain('Backend now: 600 s (10 min)');
    await page.getByLabel('Token lifetime (s)').fill('900');
    await button('Set on backend').click();
    await poll(() => text('ttl-note')).toContain(
      'Saved: the backend now issues access tokens valid for 15 min',
    );
    await poll(() => text('backend-ttl')).toContain('900 s');
    await page.getByLabel('Clock skew (minutes)').fill('2000');
    await button('Skew clock').click();
    await poll(() => page.getByRole('alert').first().textContent()).toContain(
      'Clock skew must be a number of minutes from -1440 to 1440',
    );
    await page.getByLabel('Clock skew (minutes)').fill('0');
    await button('Skew clock').click();
    await poll(() => page.getByRole('alert').count()).toBe(0);
  });

  it('logging out while simulated offline is no dead end: the login screen can go online again', async () => {
    await app.logIn();
    await button('Go offline').click();
    await poll(() => count('banner-offline')).toBe(1);
    await button('Log out').click();
    await poll(() => page.getByRole('heading', { name: 'Sign in' }).count()).toBe(1);
    // Offline, logged out: logging in fails, but the banner and the tester console bring it back.
    expect(await text('banner-offline')).toContain('tester switch');
    await button('Go back online').click();
    await poll(() => count('banner-offline')).toBe(0);
    await app.logIn();
    await poll(() => text('connection')).toBe('Online');
  });

  it('the status bar stays at the bottom of the window; pending jumps to the outbox', async () => {
    const bar = await page.locator('footer.statusbar').boundingBox();
    expect((bar?.y ?? 0) + (bar?.height ?? 0)).toBeCloseTo(720, 0);
    await button('Go offline').click();
    await page.getByLabel('Preferred language').selectOption('de');
    await poll(() => text('pending-count')).toBe('1 pending');
    await page.getByTestId('pending-count').click();
    await poll(() => page.evaluate(() => document.activeElement?.id)).toBe('outbox-slot');
    const outbox = await page.locator('#outbox-slot').boundingBox();
    expect(outbox?.y ?? -1).toBeGreaterThanOrEqual(0);
    expect(outbox?.y ?? 9999).toBeLessThan(720);
  });

  it('asks before logging out with pending edits; Cancel keeps the session', async () => {
    await button('Log out').click();
    const dialog = page.getByRole('dialog', { name: 'Log out with 1 unsynced edit?' });
    await poll(() => dialog.count()).toBe(1);
    expect(await dialog.textContent()).toContain('sent when you log in again as');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await poll(() => dialog.count()).toBe(0);
    expect(await button('Log out').count()).toBe(1);
    await button('Go online').click();
    await poll(() => text('pending-count')).toBe('0 pending');
  });

  it('the server failing: a banner with the countdown and Retry now, gone with its cause, and no stale error', async () => {
    app.net.down = true;
    // An edit makes the engine notice the server is gone.
    await page.getByLabel('Preferred language').selectOption('it');
    const banner = page.getByTestId('banner-server');
    await poll(() => banner.count()).toBe(1);
    await poll(() => banner.textContent()).toMatch(/Can't reach the server — retrying (in \d+ s|…)/);
    await poll(() => count('status-error')).toBe(1);
    await app.shot('server-unreachable-light-1280x720');
    app.net.down = false;
    await banner.getByRole('button', { name: 'Retry now' }).click();
    await poll(() => banner.count()).toBe(0);
    await poll(() => text('connection')).toBe('Online');
    await poll(() => text('pending-count')).toBe('0 pending');
    // Green state: no error anywhere.
    expect(await count('status-error')).toBe(0);
    expect(await page.locator('.alert').count()).toBe(0);
  });

  it('a session expiry: a banner and a re-login offering only "Log in as <email>" (or a reset)', async () => {
    await button('Go offline').click();
    await button('Revoke session (server)').click();
    await button('Expire access token now').click();
    await page.getByLabel('Timezone').fill('Asia/Tokyo');
    await page.getByLabel('Timezone').press('Enter');
    await button('Go online').click();
    await poll(() => count('banner-session')).toBe(1);
    expect(await text('banner-session')).toContain(`log in again as ${app.email}`);
    const relogin = page.locator('section.login');
    expect(await relogin.getByRole('button').allTextContents()).toEqual([
      `Log in as ${app.email}`,
      'Forgot password?',
    ]);
    expect(await relogin.getByLabel('Email').count()).toBe(0);
    await relogin.getByLabel('Password').fill(app.password);
    await button(`Log in as ${app.email}`).click();
    await poll(() => count('banner-session')).toBe(0);
    await poll(() => text('pending-count')).toBe('0 pending');
  });

  it('asks before leaving an anonymous account, whose data would be lost', async () => {
    await button('Log out').click();
    await poll(() => page.getByRole('heading', { name: 'Sign in' }).count()).toBe(1);
    await button('Continue anonymously').click();
    await poll(() => page.locator('.topbar').textContent()).toContain('anonymous');
    await button('Log out').click();
    const dialog = page.getByRole('dialog', { name: 'Leave this anonymous account?' });
    await poll(() => dialog.count()).toBe(1);
    await page.keyboard.press('Escape');
    await poll(() => dialog.count()).toBe(0);
    expect(await button('Log out').count()).toBe(1);
    await button('Log out').click();
    await dialog.getByRole('button', { name: 'Log out and lose this data' }).click();
    await poll(() => page.getByRole('heading', { name: 'Sign in' }).count()).toBe(1);
  });
});
