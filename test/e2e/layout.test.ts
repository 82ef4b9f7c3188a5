/**
 * Layouts that hold (issue #10 "Layout"), in a real Chromium: a 70-character field name, a
 * 4,600-character value and 50 fields at 800×600 keep the window one screen tall with the status
 * bar visible, scroll inside the data panel, and leave the outbox within reach; at 1600×1000 the
 * space is used. Long cells show their full text on hover and on click.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { poll, startWebApp, type WebApp, webAppReady } from '../helpers/web-app.js';

const LONG_NAME = `aVeryLongFieldName_${'x'.repeat(51)}`; // 70 characters
const LONG_VALUE = 'lorem ipsum dolor sit amet '.repeat(171).slice(0, 4_600);
const EDITED_VALUE = `${LONG_VALUE.slice(0, 3_900)}!`;

describe.skipIf(!webAppReady)('layout at 800×600 and 1600×1000', () => {
  let app: WebApp;
  let page: WebApp['page'];

  beforeAll(async () => {
    app = await startWebApp({ viewport: { width: 800, height: 600 } });
    page = app.page;
  });
  afterAll(async () => {
    await app?.close();
  });

  const fieldRow = (name: string) => page.locator(`[data-testid="field-row"][data-field="${name}"]`);

  it('shows 52 fields written by another writer and one pending edit of the long value', async () => {
    await app.logIn();
    const userId = app.client().status.user?.id as string;
    const fields: Record<string, string> = { [LONG_NAME]: 'crimson', long: LONG_VALUE };
    for (let i = 1; i <= 50; i++) fields[`field${String(i).padStart(2, '0')}`] = `value ${i}`;
    // Another writer: arrives through the live stream.
    await app.server.customData.updateOne({ userId }, { $set: fields }, { upsert: true });
    await poll(() => page.getByTestId('field-row').count()).toBe(52);
    // One pending edit of the long value (the editor takes up to 4,000 characters), so the outbox has a long row.
    await page.getByRole('button', { name: 'Go offline' }).click();
    const value = page.getByLabel('Value of long', { exact: true });
    await value.fill(EDITED_VALUE);
    await value.press('Enter');
    await poll(() => page.getByTestId('outbox-row').count()).toBe(1);
  });

  /** The workspace and the data panel scrolled back to their tops, for the screenshots. */
  const scrollToTop = () =>
    page.evaluate(() => {
      for (const e of document.querySelectorAll('#main, .slot--data > .panel')) e.scrollTop = 0;
    });
  const box = async (selector: string) => {
    const b = await page.locator(selector).first().boundingBox();
    if (!b) throw new Error(`${selector} is not visible`);
    return b;
  };

  it('800×600: one screen tall, the status bar at the bottom, 50 fields scroll inside their panel', async () => {
    const pageHeight = await page.evaluate(() => document.documentElement.scrollHeight);
    expect(pageHeight).toBeLessThanOrEqual(600);
    const bar = await box('footer.statusbar');
    expect(bar.y + bar.height).toBeCloseTo(600, 0);
    // The data panel scrolls by itself.
    const data = page.locator('.slot--data > .panel');
    const { scrollHeight, clientHeight } = await data.evaluate((e) => ({
      scrollHeight: e.scrollHeight,
      clientHeight: e.clientHeight,
    }));
    expect(clientHeight).toBeLessThan(600);
    expect(scrollHeight).toBeGreaterThan(clientHeight);
    // The outbox is reachable: its top, in the workspace's scroll coordinates, is near.
    const outboxTop = await page
      .locator('#outbox-slot')
      .evaluate((e) => e.getBoundingClientRect().top + (document.getElementById('main')?.scrollTop ?? 0));
    expect(outboxTop).toBeLessThan(1_200);
    const workspaceHeight = await page.locator('#main').evaluate((e) => e.scrollHeight);
    expect(workspaceHeight).toBeLessThan(2_500);
    await scrollToTop();
    await app.shot('long-fields-light-800x600');
  });

  it('800×600: long names and values stay on one line, with the full text on hover and on click', async () => {
    const row = fieldRow(LONG_NAME);
    const name = row.locator('.other-field__name');
    // Not a 3,000 px row: a name line and a one-line value at most.
    expect((await row.boundingBox())?.height).toBeLessThan(100);
    expect((await fieldRow('long').boundingBox())?.height).toBeLessThan(100);
    // Truncated, not wrapped: and not clipped under another panel (the name ends inside its panel).
    expect(await name.evaluate((e) => e.scrollWidth > e.clientWidth)).toBe(true);
    const panel = await box('.slot--data > .panel');
    const cell = await name.boundingBox();
    expect((cell?.x ?? 0) + (cell?.width ?? 0)).toBeLessThanOrEqual(panel.x + panel.width);
    await name.hover();
    await poll(() => name.getAttribute('title')).toContain(LONG_NAME);
    // The outbox's value cell of the long edit: truncated, its full text in a popover that scrolls.
    const outboxValue = page.getByTestId('outbox-row').locator('td').nth(1);
    // The entry and its status line: not a 3,000 px row.
    expect((await page.getByTestId('outbox-row').boundingBox())?.height).toBeLessThan(100);
    await outboxValue.scrollIntoViewIfNeeded();
    await outboxValue.click();
    const popover = page.getByTestId('cell-popover');
    await poll(() => popover.textContent()).toContain(EDITED_VALUE);
    const opened = await popover.boundingBox();
    await app.shot('long-value-popover-light-800x600');
    expect(opened?.height).toBeLessThan(320);
    expect((opened?.y ?? 0) + (opened?.height ?? 0)).toBeLessThanOrEqual(600);
    await page.keyboard.press('Escape');
    await poll(() => popover.count()).toBe(0);
    // By keyboard: the truncated cell is focusable and opens with Enter.
    await expect(outboxValue.getAttribute('tabindex')).resolves.toBe('0');
    await outboxValue.focus();
    await page.keyboard.press('Enter');
    await poll(() => popover.count()).toBe(1);
    await page.getByRole('button', { name: 'Close' }).click();
    await poll(() => popover.count()).toBe(0);
  });

  it('tables never break a word mid-way', async () => {
    expect(await fieldRow(LONG_NAME).getByLabel(`Value of ${LONG_NAME}`).inputValue()).toBe('crimson');
    const outboxCells = page.getByTestId('outbox-row').locator('td');
    for (const c of await outboxCells.all()) {
      const h = await c.evaluate((e) => e.getBoundingClientRect().height);
      expect(h).toBeLessThan(40);
    }
  });

  it('1600×1000: two columns that use the width; panels keep their own height', async () => {
    await page.setViewportSize({ width: 1600, height: 1000 });
    const data = await box('.slot--data > .panel');
    const outbox = await box('#outbox-slot > .panel');
    const meter = await box('section.meter');
    expect(data.width).toBeGreaterThan(800);
    // Side by side, both near the top of the window.
    expect(outbox.x).toBeGreaterThan(data.x + data.width - 1);
    expect(outbox.y).toBeLessThan(200);
    // Not stretched to the tallest: the outbox with one row is short, the meter too.
    expect(outbox.height).toBeLessThan(300);
    expect(meter.height).toBeLessThan(260);
    const bar = await box('footer.statusbar');
    expect(bar.y + bar.height).toBeCloseTo(1000, 0);
    await scrollToTop();
    await app.shot('long-fields-light-1600x1000');
    expect(await page.evaluate(() => document.documentElement.scrollHeight)).toBeLessThanOrEqual(1000);
  });
});
