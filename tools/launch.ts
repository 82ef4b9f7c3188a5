/**
 * `npm start`: the whole demo stack — the backend (embedded MongoDB unless MONGODB_URI), a
 * demo user, and the desktop app. Where Electron's binary is missing (it downloads at install
 * on users' machines) it says so and serves the same UI in web mode instead.
 * `npm run start:web` (`--web`): the backend plus web mode, for testers without Electron.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { openClient } from '../sync/client/index.js';
import { AppStates } from '../sync/host/app-states.js';
import { createHandlers } from '../sync/host/handlers.js';
import { startWebHost } from '../sync/host/web-host.js';
import { ADMIN_KEY_HEADER, ADMIN_PREFIX, paths } from '../sync/protocol/index.js';
import { loadServerConfig } from '../sync/server/config.js';
import { type RunningServer, startServer } from '../sync/server/server.js';
import { electronSqliteBinding } from './electron-sqlite.js';
import { electronBinary, root, sqliteProblem } from './install-check.mjs';

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

/**
 * The demo's admin key: random, made once per data dir and kept there with mode 0600, handed
 * to our own app only (never a fixed key: any website could then drive the admin API).
 */
export function demoAdminKey(dataDir: string): string {
  const file = join(dataDir, 'admin-key');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(dataDir, { recursive: true });
  const key = randomBytes(32).toString('base64url');
  writeFileSync(file, `${key}\n`, { mode: 0o600, flag: 'wx' });
  chmodSync(file, 0o600);
  return key;
}

/**
 * Stops everything started here on SIGINT/SIGTERM/SIGHUP: no orphaned database process.
 * `on`, not `once`: Ctrl-C reaches us twice (from the terminal and relayed by tsx), and a second
 * signal without a listener would kill the process before the database is stopped.
 */
function stopOnSignals(stop: () => Promise<void>): void {
  let stopping = false;
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      console.log(`${signal}: stopping`);
      stop()
        .catch((error: unknown) => console.error(`stop failed: ${(error as Error).message}`))
        .finally(() => process.exit(0));
    });
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { web: { type: 'boolean', default: false }, 'web-port': { type: 'string', default: '5174' } },
  });
  const problem = sqliteProblem();
  if (problem) throw new Error(problem);
  const base = loadServerConfig(process.env, join(root, 'sync/server/demo/config.json'));
  const config = { ...base, adminKey: base.adminKey ?? demoAdminKey(base.dataDir) };
  let server: RunningServer | undefined;
  let stopApp = async (): Promise<void> => {};
  stopOnSignals(async () => {
    try {
      await stopApp();
    } finally {
      await server?.close();
    }
  });
  server = await startServer(config);
  console.log(`database: ${server.mongo.describe}`);
  console.log(`backend listening on ${server.url}`);
  await seedDemoUser(server.url, config.appId, config.adminKey);
  console.log(`demo user: ${DEMO_USER.email} / ${DEMO_USER.password}`);

  const electron = values.web ? undefined : electronBinary();
  if (!values.web && !electron) {
    console.log(
      "Electron's binary is not installed here (its download at `npm install` failed or was skipped; " +
        '`node node_modules/electron/install.js` fetches it).\n' +
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
    stopApp = async () => {
      child.kill('SIGTERM');
    };
    child.on('exit', async (code) => {
      await server?.close();
      process.exit(code ?? 0);
    });
    return;
  }

  const dataDir = process.env.CUSTOMDATA_DESK_DATA_DIR ?? join(root, '.data/web-client');
  const client = openClient({ baseUrl: server.url, appId: config.appId, dataDir });
  const states = new AppStates(client, { adminTools: Boolean(config.adminKey) });
  const host = await startWebHost({
    states,
    handlers: createHandlers(client, { baseUrl: server.url, adminKey: config.adminKey, states }),
    staticDir: join(root, 'out/renderer'),
    port: Number(values['web-port']),
  });
  console.log(`web mode: open ${host.url}`);
  stopApp = async () => {
    await host.close();
    await client.close();
  };
}

main().catch((error: unknown) => {
  console.error(`start failed: ${(error as Error).message}`);
  process.exit(1);
});
