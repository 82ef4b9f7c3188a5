/**
 * MongoDB connection: MONGODB_URI when given, otherwise an embedded default, in this order:
 *  1. a real mongod from mongodb-memory-server-core (downloaded once, cached), as a one-member
 *     replica set so that change streams work;
 *  2. where that cannot be had and python3 >= 3.10 exists, SecantusDB (a MongoDB-wire server
 *     from PyPI, GPL-2.0: always a separate process, never bundled) via test/mongo-server/;
 *  3. otherwise one error naming the options.
 * Data is kept under the data dir, so the demo keeps its data between starts.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { MongoClient, type MongoClientOptions } from 'mongodb';

export type MongoKind = 'external' | 'embedded-mongod' | 'embedded-secantus';

export interface MongoHandle {
  client: MongoClient;
  uri: string;
  kind: MongoKind;
  embedded: boolean;
  /** One line for the console: which database this is. */
  describe: string;
  close(): Promise<void>;
}

export interface EmbeddedMongo {
  uri: string;
  kind: Exclude<MongoKind, 'external'>;
  describe: string;
  stop(): Promise<void>;
}

const run = promisify(execFile);
// From the sources (sync/server) or the compiled server (out/server-js/sync/server).
const here = dirname(fileURLToPath(import.meta.url));
const secantusScripts =
  [resolve(here, '../../test/mongo-server'), resolve(here, '../../../../test/mongo-server')].find((dir) =>
    existsSync(join(dir, 'start-secantus.sh')),
  ) ?? resolve(here, '../../test/mongo-server');

export async function connectMongo(
  uri: string | undefined,
  dataDir: string,
  extra: MongoClientOptions = {},
): Promise<MongoHandle> {
  if (uri) {
    const client = await connect(uri, extra);
    return {
      client,
      uri,
      kind: 'external',
      embedded: false,
      describe: 'MongoDB at MONGODB_URI',
      close: () => client.close(),
    };
  }
  const embedded = await startEmbeddedMongo(dataDir);
  try {
    const client = await connect(embedded.uri, extra);
    return {
      client,
      uri: embedded.uri,
      kind: embedded.kind,
      embedded: true,
      describe: embedded.describe,
      async close() {
        await client.close();
        await embedded.stop();
      },
    };
  } catch (error) {
    await embedded.stop();
    throw error;
  }
}

/** Starts the embedded default (see the header). `memory`: throw-away data (tests). */
export async function startEmbeddedMongo(
  dataDir: string,
  options: { memory?: boolean } = {},
): Promise<EmbeddedMongo> {
  let mongodError: string;
  try {
    return await startMemoryServer(dataDir, options.memory ?? false);
  } catch (error) {
    mongodError = firstLine(error);
  }
  let secantusError: string;
  try {
    return await startSecantus(dataDir, options.memory ?? false);
  } catch (error) {
    secantusError = firstLine(error);
  }
  throw new Error(
    'no MongoDB to use. Tried, in order:\n' +
      `  1. embedded mongod (mongodb-memory-server-core): ${mongodError}\n` +
      `  2. SecantusDB (needs python3 >= 3.10 with venv and PyPI access): ${secantusError}\n` +
      'Set MONGODB_URI=mongodb://… to a running MongoDB, or allow one of the two above.',
  );
}

/**
 * A one-member replica set, not a standalone mongod: change streams (live push) and
 * transactions exist only on replica sets. A persistent data dir keeps its port (in
 * `mongo/port`): the set's stored config names host:port, and mongodb-memory-server re-applies
 * that config on the next start.
 */
async function startMemoryServer(dataDir: string, memory: boolean): Promise<EmbeddedMongo> {
  // Imported lazily: production deployments with MONGODB_URI never load it.
  const { MongoBinary, MongoMemoryReplSet } = await import('mongodb-memory-server-core');
  // Resolved (downloaded once, then cached) before create(): create() prints a long stack
  // trace of its own when the download fails, and the fallback below is not a failure.
  await MongoBinary.getPath();
  const dbPath = memory ? undefined : resolve(join(dataDir, 'mongo'));
  let port: number | undefined;
  if (dbPath) {
    mkdirSync(dbPath, { recursive: true });
    port = await persistedPort(join(dbPath, 'port'));
  }
  const server = await MongoMemoryReplSet.create({
    replSet: { count: 1, name: 'customdata-desk', storageEngine: 'wiredTiger' },
    instanceOpts: [dbPath ? { dbPath, port, storageEngine: 'wiredTiger' } : {}],
  });
  return {
    uri: server.getUri(),
    kind: 'embedded-mongod',
    describe: `embedded mongod, one-member replica set ${dbPath ? `(data in ${dbPath})` : '(in memory)'}`,
    async stop() {
      await server.stop({ doCleanup: memory });
    },
  };
}

/** The port this data dir's mongod used before, or a free one, remembered for next time. */
async function persistedPort(file: string): Promise<number> {
  const saved = existsSync(file) ? Number(readFileSync(file, 'utf8').trim()) : Number.NaN;
  if (Number.isInteger(saved) && saved > 0 && saved < 65_536) return saved;
  const port = await freePort();
  writeFileSync(file, `${port}\n`);
  return port;
}

async function startSecantus(dataDir: string, memory: boolean): Promise<EmbeddedMongo> {
  const start = join(secantusScripts, 'start-secantus.sh');
  if (!existsSync(start))
    throw new Error(`${start} is missing (SecantusDB runs only from a source checkout)`);
  const dir = resolve(join(dataDir, 'secantus'));
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const args = [start, dir, String(port), ...(memory ? ['--memory'] : [])];
  let stdout: string;
  try {
    ({ stdout } = await run('bash', args, { timeout: 180_000 }));
  } catch (error) {
    const stderr = String((error as { stderr?: string }).stderr ?? '').trim();
    throw new Error(stderr.split('\n').at(-1) || firstLine(error));
  }
  const uri = /^MONGODB_URI=(.+)$/m.exec(stdout)?.[1];
  if (!uri) throw new Error(`start-secantus.sh printed no MONGODB_URI: ${stdout.trim()}`);
  return {
    uri,
    kind: 'embedded-secantus',
    describe: `SecantusDB on 127.0.0.1:${port} ${memory ? '(in memory)' : `(data in ${join(dir, 'db')})`} — embedded mongod unavailable`,
    async stop() {
      await run('bash', [join(secantusScripts, 'stop-secantus.sh'), dir], { timeout: 30_000 }).catch(
        () => undefined,
      );
    },
  };
}

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolvePort(port));
    });
  });
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? 'unknown error';
}

async function connect(uri: string, extra: MongoClientOptions): Promise<MongoClient> {
  // bsonRegExp: stored regular expressions come back as BSONRegExp, never compiled; one the JS
  // engine cannot compile (e.g. "(") would otherwise make every read of its document fail.
  const client = new MongoClient(uri, {
    serverSelectionTimeoutMS: 10_000,
    ignoreUndefined: true,
    bsonRegExp: true,
    ...extra,
  });
  await client.connect();
  return client;
}
