/**
 * `npm start`: the whole demo stack — the backend (embedded MongoDB unless MONGODB_URI), a
 * demo user, and the desktop app. Where Electron's binary is missing (it downloads at install
 * on users' machines) it says so and serves the same UI in web mode instead.
 * `npm run start:web` (`--web`): the backend plus web mode, for testers without Electron.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createHandlers } from '../sync/app-api/handlers.js';
import { startWebHost } from '../sync/app-api/web-host.js';
import { openClient } from '../sync/client/index.js';
import { ADMIN_KEY_HEADER, ADMIN_PREFIX, paths } from '../sync/protocol/index.js';
import { loadServerConfig } from '../sync/server/config.js';
import { startServer } from '../sync/server/server.js';
import { electronSqliteBinding } from './native-sqlite.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const DEMO_USER = { email: 'demo@example.com', password: 'demo-password' };

/** Registers the demo user once and gives it some custom data to look at. */
async function seedDemoUser(url: string, appId: string, adminKey: string | undefined): Promise<void> {
  const res = await fetch(`${url}${paths.register(appId)}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(DEMO_USER),
  });
  if (res.status !== 201 || !adminKey) return; // 409: already there from an earlier start
  const login = (await (
    await fetch(`${url}${paths.providerLogin(appId, 'local-userpass')}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: DEMO_USER.email, password: DEMO_USER.password }),
    })
  ).json()) as { user_id: string };
  await fetch(`${url}${ADMIN_PREFIX}/users/${login.user_id}/custom-data`, {
    method: 'PATCH',
    headers: { 'content-type': 'application/json', [ADMIN_KEY_HEADER]: adminKey },
    body: JSON.stringify({
      set: {
        favoriteColor: '#3b82f6',
        preferredLanguage: 'en',
        timezone: 'Europe/Berlin',
        dateOfBirth: { $date: '1990-05-01T00:00:00Z' },
        plan: 'pro',
      },
    }),
  });
}

function electronBinary(): string | undefined {
  try {
    const path = createRequire(import.meta.url)('electron') as unknown;
    return typeof path === 'string' && existsSync(path) ? path : undefined;
  } catch {
    return undefined;
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { web: { type: 'boolean', default: false }, 'web-port': { type: 'string', default: '5174' } },
  });
  const config = loadServerConfig(process.env, join(root, 'sync/server/demo/config.json'));
  const server = await startServer(config);
  console.log(`database: ${server.mongo.describe}`);
  console.log(`backend listening on ${server.url}`);
  await seedDemoUser(server.url, config.appId, config.adminKey);
  console.log(`demo user: ${DEMO_USER.email} / ${DEMO_USER.password}`);

  const electron = values.web ? undefined : electronBinary();
  if (!values.web && !electron) {
    console.log(
      "Electron's binary is not installed here (it is downloaded by `npm install` unless ELECTRON_SKIP_BINARY_DOWNLOAD is set).\n" +
        'Starting web mode instead: the same app in your browser. (`npm run start:web` does this directly.)',
    );
  }
  if (electron) {
    const binding = await electronSqliteBinding(root);
    const child = spawn(electron, [root], {
      stdio: 'inherit',
      env: {
        ...process.env,
        CUSTOMDATA_DESK_SQLITE_BINDING: binding,
        CUSTOMDATA_DESK_BACKEND: server.url,
        CUSTOMDATA_DESK_APP_ID: config.appId,
        CUSTOMDATA_DESK_ADMIN_KEY: config.adminKey ?? '',
      },
    });
    child.on('exit', async (code) => {
      await server.close();
      process.exit(code ?? 0);
    });
    return;
  }

  const dataDir = process.env.CUSTOMDATA_DESK_DATA_DIR ?? join(root, '.data/web-client');
  const client = openClient({ baseUrl: server.url, appId: config.appId, dataDir });
  const host = await startWebHost({
    client,
    handlers: createHandlers(client, { baseUrl: server.url, adminKey: config.adminKey }),
    adminTools: Boolean(config.adminKey),
    staticDir: join(root, 'out/renderer'),
    port: Number(values['web-port']),
  });
  console.log(`web mode: open ${host.url}`);
  const stop = async () => {
    await host.close();
    await client.close();
    await server.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
}

main().catch((error: unknown) => {
  console.error(`start failed: ${(error as Error).message}`);
  process.exit(1);
});
