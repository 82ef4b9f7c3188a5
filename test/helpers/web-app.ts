/**
 * The desktop app in web mode in a real Chromium (Debian's, driven by playwright-core): the built
 * renderer, the Node host running the real engine, the real backend on the run's MongoDB-wire
 * server. One per E2E file; `restartHost` keeps the data dir (a host restart).
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { expect } from 'vitest';
import { CustomDataClient } from '../../sync/client/index.js';
import { AppStates } from '../../sync/host/app-states.js';
import { createHandlers } from '../../sync/host/handlers.js';
import { startWebHost } from '../../sync/host/web-host.js';
import type { ServerConfigInput } from '../../sync/server/config.js';
import { SwitchableNetwork, tempDir } from './client.js';
import { ADMIN_KEY, registerAccount, startTestServer, type TestServer } from './server.js';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const STATIC_DIR = resolve('out/renderer');
export const SHOTS = resolve('docs/screenshots');
/** Chromium and a built renderer (`npm run build`) are there; .ci/run provides both. */
export const webAppReady = existsSync(CHROMIUM) && existsSync(join(STATIC_DIR, 'index.html'));

/** UI waits: a sync round trip on a loaded 2-core machine can take a few seconds. */
export const poll = <T>(fn: () => Promise<T> | T) => expect.poll(fn, { timeout: 15_000, interval: 100 });

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface WebApp {
  server: TestServer;
  browser: Browser;
  page: Page;
  /** The host's network to the backend: `net.down = true` cuts it. */
  net: SwitchableNetwork;
  client(): CustomDataClient;
  url(): string;
  /** A registered account (not logged in yet). */
  email: string;
  password: string;
  restartHost(): Promise<void>;
  /** The staleness meter's state attribute. */
  meterState(): Promise<string | null>;
  /** Saves docs/screenshots/<name>.png (full page). */
  shot(name: string): Promise<Buffer>;
  logIn(): Promise<void>;
  close(): Promise<void>;
}

export async function startWebApp(
  options: {
    accessTokenTtlSeconds?: number;
    viewport?: { width: number; height: number };
    colorScheme?: 'light' | 'dark';
    /** Backend settings on top of the defaults, e.g. `{ smtpUrl, authProviders }` for mail flows. */
    server?: Partial<ServerConfigInput>;
  } = {},
): Promise<WebApp> {
  const server = await startTestServer(
    { accessTokenTtlSeconds: options.accessTokenTtlSeconds ?? 600, ...options.server },
    { realTime: true },
  );
  const password = 'e2e-password-1';
  const { email } = await registerAccount(server, password);
  const net = new SwitchableNetwork();
  const dataDir = tempDir();
  let client: CustomDataClient | undefined;
  let host: { url: string; close(): Promise<void> } | undefined;

  async function startHost(port = 0) {
    client = new CustomDataClient({
      baseUrl: server.url,
      appId: server.config.appId,
      dataDir,
      fetch: net.fetch,
    });
    client.start();
    const states = new AppStates(client, { adminTools: true });
    host = await startWebHost({
      states,
      handlers: createHandlers(client, { baseUrl: server.url, adminKey: ADMIN_KEY, states }),
      staticDir: STATIC_DIR,
      port,
    });
  }
  async function stopHost() {
    await host?.close();
    await client?.close();
  }
  await startHost();
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  const page = await browser.newPage({
    viewport: options.viewport ?? { width: 1280, height: 900 },
    colorScheme: options.colorScheme ?? 'light',
  });

  return {
    server,
    browser,
    page,
    net,
    email,
    password,
    client: () => client as CustomDataClient,
    url: () => host?.url as string,
    async restartHost() {
      const port = Number(new URL(host?.url as string).port);
      await stopHost();
      await startHost(port);
    },
    meterState: () => page.locator('section.meter').getAttribute('data-state'),
    shot: (name) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true }),
    async logIn() {
      await page.goto(host?.url as string);
      await page.getByLabel('Email').fill(email);
      await page.getByLabel('Password').fill(password);
      await page.getByRole('button', { name: 'Log in' }).click();
      await poll(() => page.locator('section.meter').getAttribute('data-state')).toBe('live');
    },
    async close() {
      await browser.close();
      await stopHost();
      await server.close();
    },
  };
}
