/**
 * Push benchmark (issue 21): write → event latency of `collection.watch()` at 200 and 1,000
 * subscribed clients (each its own user, one SSE stream), with one backend instance and with
 * two sharing the clients; then the backend's RSS with 1,000 open streams.
 *
 * Each backend is its own process (by default the server compiled to JavaScript under plain
 * `node --max-semi-space-size=1`, as `npm run server:js` runs it). A writer changes the users'
 * documents directly in MongoDB (round-robin, 4 writes in flight). The same-run baseline is a
 * raw driver change stream on the same collection in the bench process: what MongoDB itself
 * takes to report the same writes. Each instance's `GET /admin/v1/stats` shows it keeps one
 * change stream for all its subscribers.
 *
 *   MONGODB_URI=mongodb://127.0.0.1:27117/ npm run bench:push
 *   BENCH_FRESH_DB=1 npm run bench:push   (each configuration on a SecantusDB of its own, started
 *     fresh by test/mongo-server/start-secantus.sh: SecantusDB's change streams slow down as its
 *     history grows, so on one database later phases would start behind earlier ones)
 *   BENCH_CLIENT_COUNTS=200,1000 BENCH_INSTANCES=1,2 BENCH_WRITES=2000 BENCH_STREAMS=1000;
 *   BENCH_RUNTIME=tsx to measure under tsx; BENCH_BASELINE_RUNTIME=none to skip the RSS comparison.
 *
 * Bounded: every phase has a count and a deadline (BENCH_SECONDS per phase).
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { type Collection, MongoClient } from 'mongodb';
import {
  anonymousLogin,
  type Backend,
  closeAgent,
  commandLine,
  inParallel,
  onFreshSecantus,
  openStream,
  pct,
  type Runtime,
  rssMb,
  startBackend,
  watchStats,
} from './push-processes.js';

const CLIENT_COUNTS = (process.env.BENCH_CLIENT_COUNTS ?? '200,1000').split(',').map(Number);
const INSTANCES = (process.env.BENCH_INSTANCES ?? '1,2').split(',').map(Number);
const WRITES = Number(process.env.BENCH_WRITES ?? 2000);
const STREAMS = Number(process.env.BENCH_STREAMS ?? 1000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 60);
/** Flags of `npm run server:js` (a 1 MB young generation: docs/benchmarks.md); empty for defaults. */
const NODE_ARGS = (process.env.BENCH_NODE_ARGS ?? '--max-semi-space-size=1').split(' ').filter(Boolean);
const RUNTIME = (process.env.BENCH_RUNTIME ?? 'node') as Runtime;
const BASELINE = (process.env.BENCH_BASELINE_RUNTIME ?? (RUNTIME === 'node' ? 'tsx' : 'none')) as
  | Runtime
  | 'none';
const FRESH_DB = process.env.BENCH_FRESH_DB === '1';
const givenUri = process.env.MONGODB_URI;
if (!givenUri && !FRESH_DB) {
  console.error('push-bench: set MONGODB_URI (the backends and the writer share it), or BENCH_FRESH_DB=1');
  process.exit(2);
}

/** `work` with a connected driver: on MONGODB_URI, or on a fresh SecantusDB (BENCH_FRESH_DB=1). */
async function withDatabase<T>(work: (mongo: MongoClient, uri: string) => Promise<T>): Promise<T> {
  const run = async (uri: string) => {
    const mongo = new MongoClient(uri);
    await mongo.connect();
    try {
      return await work(mongo, uri);
    } finally {
      await mongo.close();
    }
  };
  return FRESH_DB ? onFreshSecantus(run) : run(givenUri as string);
}
const suffix = randomBytes(3).toString('hex');
/** Every stream is an anonymous user from one address: the per-address quota is lifted. */
const configFile = join(tmpdir(), `push-bench-${suffix}.json`);
writeFileSync(configFile, JSON.stringify({ quotas: { anonymousLoginsPerAddressPerHour: 1_000_000 } }));

/** The goals: p50 < 50 ms and p99 < 200 ms at 200 clients, p99 < 500 ms at 1,000. */
const goalsFor = (clients: number) => (clients <= 200 ? { p50: 50, p99: 200 } : { p50: undefined, p99: 500 });
const mark = (value: number, goal: number | undefined) =>
  goal === undefined ? '' : ` (goal < ${goal} ${value < goal ? '✓' : '✗'})`;
const ms = (value: number) => `${value.toFixed(1)} ms`;

interface User {
  userId: string;
  token: string;
  backend: Backend;
}

async function main(): Promise<void> {
  console.log('compiling the server to JavaScript (tsc -p tsconfig.server.json)...');
  execFileSync('npx', ['tsc', '-p', 'tsconfig.server.json'], { stdio: 'inherit' });
  const summary: string[] = [];
  try {
    for (const instances of INSTANCES)
      summary.push(...(await withDatabase((mongo, uri) => latencyPhases(mongo, uri, instances))));
    for (const runtime of BASELINE === 'none' ? [RUNTIME] : [RUNTIME, BASELINE]) {
      const r = await withDatabase((mongo, uri) => rssPhase(runtime, mongo, uri));
      const flags = runtime === 'node' ? `node ${NODE_ARGS.join(' ')}`.trim() : 'tsx';
      summary.push(
        `${r.streams} open streams: backend RSS ${r.rss.toFixed(0)} MB under ${flags} ` +
          `(${r.start.toFixed(0)} MB at start; ${(((r.rss - r.start) * 1024) / Math.max(1, r.streams)).toFixed(0)} KB per stream)` +
          (runtime === RUNTIME ? mark(r.rss, 150).replace('goal < 150', 'goal < 150 MB') : ''),
      );
      console.log(summary.at(-1));
    }
  } finally {
    closeAgent();
  }
  const where = FRESH_DB ? 'each configuration on a fresh SecantusDB' : 'MONGODB_URI';
  console.log(`\nsummary (Node ${process.version}, ${RUNTIME}, ${where}):\n  ${summary.join('\n  ')}`);
}

/** `instances` backends on shared databases; every client count in turn on the same users. */
async function latencyPhases(mongo: MongoClient, uri: string, instances: number): Promise<string[]> {
  const dbs = { app: `push-app-${suffix}-${instances}`, cud: `push-cud-${suffix}-${instances}` };
  const backends: Backend[] = [];
  const lines: string[] = [];
  try {
    for (let k = 0; k < instances; k++)
      backends.push(await startBackend(RUNTIME, uri, dbs, configFile, NODE_ARGS));
    for (const b of backends)
      console.log(`backend ${b.url} (pid ${b.pid}: ${commandLine(b.pid).slice(0, 70)})`);
    const users: User[] = [];
    const max = Math.max(...CLIENT_COUNTS);
    await inParallel(max, 8, performance.now() + 4 * SECONDS * 1000, async (i) => {
      const backend = backends[i % instances] as Backend;
      users[i] = { ...(await anonymousLogin(backend.url)), backend };
    });
    const coll = mongo.db(dbs.cud).collection('custom-user-data');
    await coll.insertMany(users.map((u, client) => ({ userId: u.userId, i: -1, client })));
    for (const clients of CLIENT_COUNTS) {
      lines.push(await latencyPhase(coll, users.slice(0, clients), backends));
      console.log(lines.at(-1));
    }
  } finally {
    await Promise.all(backends.map((b) => b.stop()));
    for (const db of [dbs.app, dbs.cud])
      await mongo
        .db(db)
        .dropDatabase()
        .catch(() => undefined);
  }
  return lines;
}

async function latencyPhase(coll: Collection, users: User[], backends: Backend[]): Promise<string> {
  const sentAt = new Map<number, number>();
  /** Write → event latency by write, through the backend and straight from the change stream. */
  const pushed = new Map<number, number>();
  const raw = new Map<number, number>();
  let received = 0;
  let wake: (() => void) | undefined;
  const arrived = (into: Map<number, number>, i: number) => {
    const t0 = sentAt.get(i);
    if (t0 !== undefined) into.set(i, performance.now() - t0);
  };
  const closers: (() => void)[] = [];
  // The baseline: MongoDB's own report of the same writes, to a driver in this process.
  const rawStream = coll.watch([], { fullDocument: 'updateLookup' });
  try {
    rawStream.on('change', (change) => {
      const i = (change as { updateDescription?: { updatedFields?: { i?: number } } }).updateDescription
        ?.updatedFields?.i;
      if (typeof i === 'number') arrived(raw, i);
    });
    await inParallel(users.length, 16, performance.now() + 4 * SECONDS * 1000, async (k) => {
      const u = users[k] as User;
      closers.push(
        await openStream(u.backend.url, u.token, coll.dbName, (event) => {
          arrived(pushed, Number(event.updateDescription?.updatedFields?.i?.$numberInt));
          received += 1;
          wake?.();
        }),
      );
    });
    const stats = await Promise.all(backends.map((b) => watchStats(b.url)));
    // Warm-up: one write, seen by its owner and by the raw stream, before measuring.
    await waitFor(
      () => received > 0 && raw.size > 0,
      async () => {
        sentAt.set(-2, performance.now());
        await coll.updateOne({ userId: users[0]?.userId }, { $set: { i: -2 } });
      },
    );
    pushed.clear();
    raw.clear();
    received = 0;
    const deadline = performance.now() + SECONDS * 1000;
    const sent = await inParallel(WRITES, 4, deadline, async (i) => {
      sentAt.set(i, performance.now());
      await coll.updateOne({ userId: users[i % users.length]?.userId }, { $set: { i } });
    });
    while ((received < sent || raw.size < sent) && performance.now() < deadline) {
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, 200).unref();
      });
    }
    const sorted = (values: Iterable<number>) => [...values].sort((a, b) => a - b);
    const latencies = sorted(pushed.values());
    const direct = sorted(raw.values());
    // What the backend adds to each write's event: its own cost, whatever the database takes.
    const added = sorted([...pushed].flatMap(([i, t]) => (raw.has(i) ? [t - (raw.get(i) as number)] : [])));
    const goal = goalsFor(users.length);
    const [p50, p99] = [pct(latencies, 0.5), pct(latencies, 0.99)];
    return (
      `${backends.length} instance${backends.length > 1 ? 's' : ''}, ${users.length} clients, ${sent} writes: ` +
      `${latencies.length} events, write → event p50 ${ms(p50)}${mark(p50, goal.p50)}, ` +
      `p99 ${ms(p99)}${mark(p99, goal.p99)}, max ${ms(latencies.at(-1) ?? Number.NaN)}; ` +
      `raw change stream (baseline) p50 ${ms(pct(direct, 0.5))}, p99 ${ms(pct(direct, 0.99))}; ` +
      `added by the backend per event p50 ${ms(pct(added, 0.5))}, p99 ${ms(pct(added, 0.99))}; ` +
      `change streams open per instance: ${stats.map((s) => s.openChangeStreams).join(', ')} ` +
      `(subscribers ${stats.map((s) => s.subscribers).join(' + ')})`
    );
  } finally {
    for (const close of closers) close();
    await rawStream.close();
  }
}

/** Repeats `act` (at most 50 times, 200 ms apart) until `done()`. */
async function waitFor(done: () => boolean, act: () => Promise<void>): Promise<void> {
  for (let k = 0; k < 50 && !done(); k++) {
    await act();
    const until = performance.now() + 200;
    while (!done() && performance.now() < until) await new Promise((r) => setTimeout(r, 5));
  }
  if (!done()) throw new Error('warm-up write never arrived');
}

/** RSS with STREAMS open streams on a fresh backend under `runtime`, on databases of its own. */
async function rssPhase(runtime: Runtime, mongo: MongoClient, uri: string) {
  const dbs = { app: `push-app-${suffix}-${runtime}`, cud: `push-cud-${suffix}-${runtime}` };
  const backend = await startBackend(runtime, uri, dbs, configFile, NODE_ARGS);
  const closers: (() => void)[] = [];
  try {
    const start = rssMb(backend.pid);
    const coll = mongo.db(dbs.cud).collection('custom-user-data');
    const owners: string[] = [];
    // Eight at a time: each is a login (a user and a session written) and a stream opened.
    await inParallel(STREAMS, 8, performance.now() + 4 * SECONDS * 1000, async () => {
      const u = await anonymousLogin(backend.url);
      owners.push(u.userId);
      closers.push(await openStream(backend.url, u.token, dbs.cud, () => undefined));
    });
    await coll.insertMany(owners.map((userId, client) => ({ userId, client, i: -1 })));
    const samples = [rssMb(backend.pid)];
    // A few writes so streams' buffers are touched, then a sample each.
    for (let k = 0; k < 50; k++) {
      await coll.updateOne({ client: (k * 20) % Math.max(1, owners.length) }, { $set: { touched: k } });
      samples.push(rssMb(backend.pid));
    }
    return { start, rss: Math.max(...samples), streams: closers.length };
  } finally {
    for (const close of closers) close();
    await backend.stop();
    for (const db of [dbs.app, dbs.cud])
      await mongo
        .db(db)
        .dropDatabase()
        .catch(() => undefined);
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
