/**
 * Editing custom data in a real Chromium against web mode (issue #10, "Editing data"): typed
 * fields reach MongoDB with their BSON type, Enter saves and Escape reverts, errors are tied to
 * their field, colour / language / timezone show what is stored, conflicts are resolved either
 * way, a removal made offline is pending, and a Retry that cannot send says why.
 * Saves docs/screenshots/edit-*.png.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { poll, startWebApp, type WebApp, webAppReady } from '../helpers/web-app.js';

// Several sync round trips per test on a shared 2-core machine: more than the default 30 s.
describe.skipIf(!webAppReady)('editing custom data in web mode, real Chromium', { timeout: 60_000 }, () => {
  let app: WebApp;
  let page: WebApp['page'];
  const doc = async (): Promise<Record<string, unknown>> => (await app.server.customData.findOne({})) ?? {};
  const field = async (name: string) => (await doc())[name];
  const pendingCount = () => page.getByTestId('pending-count').textContent();
  const addField = async (name: string, type: string, value: string) => {
    await page.getByLabel('New field name').fill(name);
    await page.getByLabel('New field type').selectOption({ label: type });
    await page.getByLabel('New field value').fill(value);
    await page.getByLabel('New field value').press('Enter');
  };
  const anotherWriter = async (name: string, value: string) => {
    await page.getByLabel('Field', { exact: true }).fill(name);
    await page.getByLabel('Value', { exact: true }).fill(value);
    await page.getByRole('button', { name: 'Write as another writer' }).click();
  };
  /** The error text an input's aria-describedby points to ('' when none). */
  const describedError = (label: string) =>
    page.getByLabel(label, { exact: true }).evaluate((el) => {
      const id = el.getAttribute('aria-describedby');
      return id ? (document.getElementById(id)?.textContent ?? '') : '';
    });
  const invalid = (label: string) => page.getByLabel(label, { exact: true }).getAttribute('aria-invalid');

  beforeAll(async () => {
    app = await startWebApp();
    page = app.page;
    // A missing or disabled control fails the step with its name, not the whole test's timeout.
    page.setDefaultTimeout(15_000);
  });
  afterEach(async () => {
    // A failed step must not leave the next test offline.
    const online = page.getByRole('button', { name: 'Go online' });
    if (await online.isVisible()) await online.click();
  });
  afterAll(async () => {
    await app?.close();
  });

  it('adds fields of each type and stores them with that BSON type', async () => {
    await app.logIn();
    await addField('age', 'Number', '14');
    await addField('nickname', 'Text', '14');
    await addField('subscribed', 'True/false', 'true');
    await addField('since', 'Date', '2020-02-29');
    await addField('prefs', 'JSON', '{"theme": "dark", "sizes": [1, 2]}');
    await poll(async () => Object.keys(await doc())).toEqual(
      expect.arrayContaining(['age', 'nickname', 'subscribed', 'since', 'prefs']),
    );
    const stored = await doc();
    expect(stored.age).toBe(14);
    expect(stored.nickname).toBe('14');
    expect(stored.subscribed).toBe(true);
    expect(stored.since).toEqual(new Date('2020-02-29T00:00:00Z'));
    expect(stored.prefs).toEqual({ theme: 'dark', sizes: [1, 2] });
    // Each row shows the stored type and its value, and the add form is cleared.
    await expect.poll(() => page.getByLabel('Type of age').inputValue()).toBe('number');
    expect(await page.getByLabel('Type of since').inputValue()).toBe('date');
    expect(await page.getByLabel('Value of since').inputValue()).toBe('2020-02-29');
    expect(await page.getByLabel('Value of subscribed').inputValue()).toBe('true');
    expect(await page.getByLabel('New field name').inputValue()).toBe('');
    await poll(pendingCount).toBe('0 pending');
    await app.shot('edit-typed-fields');
  });

  it('edits in place keeping the type: Enter saves, Escape reverts, a type change converts', async () => {
    const age = page.getByLabel('Value of age');
    await age.fill('15');
    await age.press('Enter');
    await poll(() => field('age')).toBe(15);

    await age.fill('99');
    await age.press('Escape');
    expect(await age.inputValue()).toBe('15');
    await page.getByLabel('Value of nickname').click(); // blur: nothing to save after Escape
    await poll(pendingCount).toBe('0 pending');
    expect(await field('age')).toBe(15);

    await page.getByLabel('Value of since').fill('2021-03-01');
    await page.getByLabel('Value of since').press('Enter');
    await poll(() => field('since')).toEqual(new Date('2021-03-01T00:00:00Z'));

    await page.getByLabel('Value of subscribed').selectOption('false');
    await poll(() => field('subscribed')).toBe(false);

    // "14" stored as text becomes the number 14.
    await page.getByLabel('Type of nickname').selectOption('number');
    await poll(() => field('nickname')).toBe(14);
  });

  it('an invalid value is refused next to its field; Escape reverts it and dismisses the error', async () => {
    const age = page.getByLabel('Value of age');
    await age.fill('fourteen');
    await age.press('Enter');
    await poll(() => invalid('Value of age')).toBe('true');
    expect(await describedError('Value of age')).toMatch(/Not a number: "fourteen"/);
    await app.shot('edit-invalid-value');
    await age.press('Escape');
    expect(await age.inputValue()).toBe('15');
    await poll(() => invalid('Value of age')).toBe('false');
    expect(await describedError('Value of age')).toBe('');
    expect(await field('age')).toBe(15);

    // A type the value cannot take: the text stays, the error says why, nothing is written.
    await page.getByLabel('Type of prefs').selectOption('number');
    await poll(() => describedError('Value of prefs')).toMatch(/Not a number/);
    expect(await field('prefs')).toEqual({ theme: 'dark', sizes: [1, 2] });
    await page.getByLabel('Value of prefs').press('Escape');
    await poll(() => page.getByLabel('Type of prefs').inputValue()).toBe('json');
    expect(await describedError('Value of prefs')).toBe('');
  });

  it('an invalid "Add field" keeps what was typed and says why', async () => {
    await addField('my field', 'Text', 'hello');
    await poll(() => invalid('New field name')).toBe('true');
    expect(await describedError('New field name')).toMatch(/letters, digits/);
    expect(await page.getByLabel('New field name').inputValue()).toBe('my field');
    expect(await page.getByLabel('New field value').inputValue()).toBe('hello');

    await addField('shoeSize', 'Number', '42,5');
    await poll(() => describedError('New field value')).toMatch(/use a point: 42\.5/);
    expect(await invalid('New field value')).toBe('true');
    expect(await describedError('New field name')).toBe('');

    await addField('layout', 'JSON', '{columns: 2}');
    await poll(() => describedError('New field value')).toMatch(/Invalid JSON/);
    expect(await page.getByLabel('New field value').inputValue()).toBe('{columns: 2}');
    await app.shot('edit-add-field-error');

    await addField('age', 'Number', '1');
    await poll(() => describedError('New field name')).toMatch(/already exists/);

    // Escape dismisses the error and keeps the text to fix.
    await page.getByLabel('New field name').press('Escape');
    expect(await describedError('New field name')).toBe('');
    expect(await page.getByLabel('New field name').inputValue()).toBe('age');
    const keys = Object.keys(await doc());
    expect(keys).not.toContain('shoeSize');
    expect(keys).not.toContain('layout');
  });

  it('colour: named colours paint the swatch, empty shows "no colour", nonsense and absurd lengths are refused', async () => {
    const color = page.getByLabel('Favorite color', { exact: true });
    const swatch = page.getByTestId('color-swatch');
    await color.fill('navy');
    await color.press('Enter');
    await poll(() => field('favoriteColor')).toBe('navy');
    expect(await swatch.getAttribute('data-color')).toBe('#000080');
    expect(await swatch.evaluate((el) => getComputedStyle(el).backgroundColor)).toBe('rgb(0, 0, 128)');
    expect(await page.getByLabel('Favorite color picker').inputValue()).toBe('#000080');
    await app.shot('edit-colour-named');

    await color.fill('x'.repeat(300));
    await color.press('Enter');
    await poll(() => describedError('Favorite color')).toMatch(/Too long for a colour/);
    // What the field holds is still painted, never black by accident.
    expect(await swatch.getAttribute('data-color')).toBe('#000080');
    await color.fill('blurple');
    await color.press('Enter');
    await poll(() => describedError('Favorite color')).toMatch(/Not a colour: "blurple"/);
    expect(await field('favoriteColor')).toBe('navy');

    await color.fill('');
    await color.press('Enter');
    await poll(async () => 'favoriteColor' in (await doc())).toBe(false);
    await poll(() => swatch.getAttribute('class')).toMatch(/swatch--none/);
    await app.shot('edit-colour-empty');
  });

  it('language: shows names, not codes', async () => {
    const language = page.getByLabel('Preferred language');
    const labels = await language.locator('option').allTextContents();
    expect(labels).toEqual(expect.arrayContaining(['German — Deutsch', 'French — français', 'English']));
    expect(labels).not.toContain('de');
    await language.selectOption('de');
    await poll(() => field('preferredLanguage')).toBe('de');
    expect(await language.locator('option:checked').textContent()).toBe('German — Deutsch');
    // A stored code outside the list is shown by name too.
    await anotherWriter('preferredLanguage', 'pt-BR');
    await poll(() => language.inputValue()).toBe('pt-BR');
    expect(await language.locator('option:checked').textContent()).toMatch(/^Brazilian Portuguese/);
  });

  it('timezone: searchable with UTC first, a stored UTC or legacy name is shown with its offset', async () => {
    const zone = page.getByLabel('Timezone');
    const options = page.locator('#timezone-names option');
    expect(await options.count()).toBeGreaterThan(300);
    expect(await options.first().getAttribute('value')).toBe('UTC');

    await anotherWriter('timezone', 'Asia/Calcutta');
    await poll(() => zone.inputValue()).toBe('Asia/Calcutta');
    expect(await page.getByTestId('timezone-offset').textContent()).toBe('UTC+05:30 now');
    await app.shot('edit-timezone-legacy');

    await zone.fill('UTC');
    await zone.press('Enter');
    await poll(() => field('timezone')).toBe('UTC');
    await poll(() => page.getByTestId('timezone-offset').textContent()).toBe('UTC now');

    await zone.fill('Mars/Olympus_Mons');
    await zone.press('Enter');
    await poll(() => describedError('Timezone')).toMatch(/Unknown timezone/);
    await zone.press('Escape');
    expect(await zone.inputValue()).toBe('UTC');
    expect(await field('timezone')).toBe('UTC');
  });

  it('conflicts: "Use server" writes the server value back, "Keep mine" keeps mine', async () => {
    await page.getByRole('button', { name: 'Go offline' }).click();
    await poll(() => app.meterState()).toBe('offline');
    const color = page.getByLabel('Favorite color', { exact: true });
    await color.fill('crimson');
    await color.press('Enter');
    await page.getByLabel('Value of age').fill('30');
    await page.getByLabel('Value of age').press('Enter');
    await poll(pendingCount).toBe('2 pending');
    await anotherWriter('favoriteColor', 'olive');
    await anotherWriter('age', 'forty');
    await page.getByRole('button', { name: 'Go online' }).click();
    await poll(() => page.getByTestId('conflict-row').count()).toBe(2);
    await poll(() => field('favoriteColor')).toBe('crimson');
    await app.shot('edit-conflicts');

    await page.getByRole('button', { name: 'Use server for favoriteColor' }).click();
    await poll(() => field('favoriteColor')).toBe('olive');
    await poll(() => color.inputValue()).toBe('olive');
    await page.getByRole('button', { name: 'Keep mine for age' }).click();
    await poll(() => page.getByTestId('conflict-row').count()).toBe(0);
    await poll(pendingCount).toBe('0 pending');
    expect(await field('age')).toBe(30);
    expect(await field('favoriteColor')).toBe('olive');
  });

  it('conflicts: "Use server for all" takes every server value, removing a field the server did not have', async () => {
    await page.getByRole('button', { name: 'Go offline' }).click();
    await poll(() => app.meterState()).toBe('offline');
    await addField('mood', 'Text', 'calm');
    await page.getByLabel('Value of nickname').fill('7');
    await page.getByLabel('Value of nickname').press('Enter');
    await poll(pendingCount).toBe('2 pending');
    // The server drops nickname (no value to write back: "use server" removes it) and sets mood.
    await app.server.customData.updateOne({}, { $unset: { nickname: '' } });
    await anotherWriter('mood', 'busy');
    await page.getByRole('button', { name: 'Go online' }).click();
    await poll(() => page.getByTestId('conflict-row').count()).toBe(2);
    await page.getByRole('button', { name: 'Use server for all' }).click();
    await poll(() => page.getByTestId('conflict-row').count()).toBe(0);
    await poll(async () => 'nickname' in (await doc())).toBe(false);
    await poll(() => field('mood')).toBe('busy');
    await poll(() => page.getByLabel('Value of nickname').count()).toBe(0);
    // The server's values were written back as edits: all synced before the next test.
    await poll(pendingCount).toBe('0 pending');
  });

  // Undo is a component test (editing.test.tsx): offline, the engine's next probe sends the batch
  // and an edit once tried cannot be discarded, so whether Undo is still possible here is a race.
  it('a removal made offline shows as pending, then syncs when online', async () => {
    await page.getByRole('button', { name: 'Go offline' }).click();
    await poll(() => app.meterState()).toBe('offline');
    await page.getByRole('button', { name: 'Remove prefs' }).click();
    const removed = page.getByTestId('removed-row');
    await poll(() => removed.textContent()).toMatch(/prefs.*removal pending.*was \{"theme":"dark"/);
    await poll(pendingCount).toBe('1 pending');
    expect(await page.getByLabel('Value of prefs').count()).toBe(0);
    await app.shot('edit-removal-pending');
    await page.getByRole('button', { name: 'Go online' }).click();
    await poll(async () => 'prefs' in (await doc())).toBe(false);
    await poll(() => removed.count()).toBe(0);
    await poll(pendingCount).toBe('0 pending');
  });

  it('an outbox Retry that cannot send says why: offline, or refused again', async () => {
    await page.getByRole('button', { name: 'Go offline' }).click();
    await poll(() => app.meterState()).toBe('offline');
    await page.getByLabel('Value of age').fill('31');
    await page.getByLabel('Value of age').press('Enter');
    await poll(pendingCount).toBe('1 pending');
    await page.getByRole('button', { name: 'Retry now' }).click();
    const note = page.locator('#outbox-retry-note');
    await poll(() => note.textContent()).toMatch(/Can't send now: offline \(tester switch\)/);
    await page.getByRole('button', { name: 'Go online' }).click();
    await poll(() => field('age')).toBe(31);
    await poll(() => note.isVisible()).toBe(false);

    // An edit the server refuses (userId is not editable), retried: refused again, and why.
    await app.client().set('userId', 'someone-else');
    const retry = page.getByRole('button', { name: 'Retry edit of userId' });
    await poll(() => retry.count()).toBe(1);
    await retry.click();
    await poll(() => note.textContent()).toMatch(/Refused again by the server: userId: .*cannot be edited/);
    await app.shot('edit-retry-refused');
  });

  it('fits 800×600 in dark mode: every field keeps its type, value and Remove inside the panel', async () => {
    await page.setViewportSize({ width: 800, height: 600 });
    await page.emulateMedia({ colorScheme: 'dark' });
    await addField('aVeryLongFieldNameThatWouldPushTheRemoveButtonOutOfThePanel', 'Text', 'x');
    await poll(() => page.getByTestId('field-row').count()).toBeGreaterThan(4);
    const panel = await page.locator('section.custom-data').boundingBox();
    const buttons = page.locator('section.custom-data [data-testid="field-row"] button');
    for (const box of await Promise.all((await buttons.all()).map((b) => b.boundingBox()))) {
      expect(box && panel && box.x + box.width <= panel.x + panel.width).toBe(true);
    }
    await app.shot('edit-dark-800x600');
    await page.emulateMedia({ colorScheme: 'light' });
    await page.setViewportSize({ width: 1280, height: 900 });
  });
});
