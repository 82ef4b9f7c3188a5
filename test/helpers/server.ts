/** Starts the real backend on the run's MongoDB-wire server, with its own databases and clock. */
import { randomBytes } from 'node:crypto';
import { type Collection, type Document, MongoClient, type MongoClientOptions } from 'mongodb';
import * as Realm from 'realm-web';
import { inject } from 'vitest';
import type { ServerConfigInput } from '../../sync/server/config.js';
import { type RunningServer, startServer } from '../../sync/server/server.js';
import type { WatchOptions } from '../../sync/server/watch/index.js';

/** Random per run: a fixed key in a repository is a key anyone has. */
export const ADMIN_KEY = randomBytes(24).toString('base64url');

/** A clock the test moves by hand. */
export class ManualClock {
  // Whole seconds: JWT times (iat, exp) have second precision.
  constructor(public ms = Math.floor(Date.now() / 1000) * 1000) {}
  now = (): number => this.ms;
  advance(ms: number): void {
    this.ms += ms;
  }
}

export interface TestServer extends RunningServer {
  clock: ManualClock;
  logs: string[];
  /** A driver connection to the same databases, for assertions and "another writer". */
  db: MongoClient;
  customData: Collection<Document>;
  newApp(): Realm.App;
}

let counter = 0;

/** Database names unique to this run and server; kept to [A-Za-z0-9_-], which every MongoDB-wire server accepts. */
export function uniqueDb(prefix: string): string {
  counter += 1;
  return `${prefix}-${inject('runId')}-${process.pid}-${counter}`;
}

export async function startTestServer(
  overrides: Partial<ServerConfigInput> = {},
  options: {
    realTime?: boolean;
    watch?: Partial<WatchOptions>;
    /** e.g. `{ monitorCommands: true }` to see what the backend sends MongoDB. */
    mongoClientOptions?: MongoClientOptions;
    /**
     * Another backend instance on the same databases (app and custom data) and clock, as two
     * instances behind a load balancer. Close it before `shareWith`: the first one drops them.
     */
    shareWith?: TestServer;
  } = {},
): Promise<TestServer> {
  const clock = options.shareWith?.clock ?? new ManualClock();
  const logs: string[] = [];
  const uri = inject('mongodbUri');
  const shared = options.shareWith?.config;
  const customDataDb = shared?.customData.database ?? uniqueDb('cud');
  const server = await startServer(
    {
      port: 0,
      mongodbUri: uri,
      appDatabase: shared?.appDatabase ?? uniqueDb('app'),
      adminKey: ADMIN_KEY,
      logLevel: 'info',
      ...overrides,
      customData: { database: customDataDb, ...overrides.customData },
    },
    {
      now: options.realTime ? Date.now : clock.now,
      logStream: { write: (line) => void logs.push(line) },
      watch: options.watch,
      mongoClientOptions: options.mongoClientOptions,
    },
  );
  const db = new MongoClient(uri);
  await db.connect();
  const cfg = server.config.customData;
  const closeServer = server.close;
  return Object.assign(server, {
    clock,
    logs,
    db,
    customData: db.db(cfg.database).collection(cfg.collection),
    newApp: () => new Realm.App({ id: server.config.appId, baseUrl: server.url }),
    async close() {
      if (options.shareWith) {
        // The databases belong to the instance it shares them with.
        await db.close();
        await closeServer();
        return;
      }
      // The run's databases: custom data, app, and those of the collections the test opened.
      const opened = server.config.openCollections.map((name) => name.split('.')[0] as string);
      for (const name of new Set([cfg.database, server.config.appDatabase, ...opened])) {
        await db
          .db(name)
          .dropDatabase()
          .catch(() => undefined);
      }
      await db.close();
      await closeServer();
    },
  });
}

export function randomEmail(): string {
  return `user-${randomBytes(5).toString('hex')}@example.com`;
}

/** Registers and logs in a fresh email/password user. */
export async function newUser(app: Realm.App, password = 'correct horse 1') {
  const email = randomEmail();
  await app.emailPasswordAuth.registerUser({ email, password });
  const user = await app.logIn(Realm.Credentials.emailPassword(email, password));
  return { user, email, password };
}

/** Raw HTTP against the server, for requests realm-web would never send. */
export async function raw(
  server: { url: string },
  method: string,
  path: string,
  init: { body?: string; headers?: Record<string, string> } = {},
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON error and result bodies.
): Promise<{ status: number; body: any; contentType: string | null }> {
  const res = await fetch(`${server.url}${path}`, { method, body: init.body, headers: init.headers });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    // leave as text
  }
  return { status: res.status, body: body as never, contentType: res.headers.get('content-type') };
}

/** Registers an email/password account over HTTP (no login): the credentials to log in with. */
export async function registerAccount(
  server: TestServer,
  password = 'correct horse 1',
): Promise<{ email: string; password: string }> {
  const email = randomEmail();
  const res = await raw(
    server,
    'POST',
    `/api/client/v2.0/app/${server.config.appId}/auth/providers/local-userpass/register`,
    {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password }),
    },
  );
  if (res.status !== 201) throw new Error(`registration failed: ${res.status}`);
  return { email, password };
}

export interface HttpLogin {
  access_token: string;
  refresh_token: string;
  user_id: string;
}

/** A new email/password account, logged in over plain HTTP: the login answer's tokens and id. */
export async function logInOverHttp(server: TestServer): Promise<HttpLogin> {
  const { email, password } = await registerAccount(server);
  const res = await raw(
    server,
    'POST',
    `/api/client/v2.0/app/${server.config.appId}/auth/providers/local-userpass/login`,
    { headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: email, password }) },
  );
  if (res.status !== 200) throw new Error(`login failed: ${res.status}`);
  return res.body as HttpLogin;
}
