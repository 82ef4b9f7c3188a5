/**
 * Push benchmark (issue 9): BENCH_CLIENTS subscribed clients (each its own user, one watch
 * stream on the custom data collection), a writer changing their documents directly in
 * MongoDB: write-to-event latency p50/p99. Then BENCH_STREAMS open streams and the backend's
 * RSS. The backend runs as its own process, so its RSS is not mixed with the clients': by
 * default the server compiled to JavaScript (`npm run build:server`, tsc) under plain `node`, as
 * a deployment runs it; then, for comparison in the same run, the same RSS phase with the
 * backend under tsx (`npm run server`, sources compiled in memory by esbuild).
 *
 *   MONGODB_URI=mongodb://127.0.0.1:27117/ npx tsx bench/push-bench.ts
 *   BENCH_CLIENTS=200 BENCH_WRITES=2000 BENCH_STREAMS=1000 to change the size;
 *   BENCH_RUNTIME=tsx to measure under tsx; BENCH_BASELINE_RUNTIME=none to skip the comparison.
 *
 * Bounded: every phase has a count and a deadline (BENCH_SECONDS per phase).
 */
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { MongoClient } from 'mongodb';
import { paths } from '../sync/protocol/index.js';
import { SseReader, watchQueryString } from '../sync/protocol/watch.js';

const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 200);
const WRITES = Number(process.env.BENCH_WRITES ?? 2000);
const STREAMS = Number(process.env.BENCH_STREAMS ?? 1000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 60);
const APP_ID = 'customdata-desk';
type Runtime = 'node' | 'tsx';
/**
 * Flags for the compiled server's `node`; by default those of `npm run server:js`, the way to run
 * the backend in production (a 1 MB young generation: see docs/benchmarks.md). `BENCH_NODE_ARGS=`
 * (empty) for Node's defaults.
 */
const NODE_ARGS = (process.env.BENCH_NODE_ARGS ?? '--max-semi-space-size=1').split(' ').filter(Boolean);
const RUNTIME = (process.env.BENCH_RUNTIME ?? 'node') as Runtime;
const BASELINE = (process.env.BENCH_BASELINE_RUNTIME ?? (RUNTIME === 'node' ? 'tsx' : 'none')) as
  | Runtime
  | 'none';
const uri = process.env.MONGODB_URI;
if (!uri) {
  console.error('push-bench: set MONGODB_URI (the backend and the writer share it)');
  process.exit(2);
}
const suffix = randomBytes(3).toString('hex');
const cdDb = `push-cud-${suffix}`;
const appDb = `push-app-${suffix}`;
const agent = new Agent({ keepAlive: true, maxSockets: Infinity });

/** Every stream is an anonymous user from one address: the per-address quota is lifted. */
const configFile = join(tmpdir(), `push-bench-${suffix}.json`);
writeFileSync(configFile, JSON.stringify({ quotas: { anonymousLoginsPerAddressPerHour: 1_000_000 } }));

async function startBackend(runtime: Runtime, databases: { app: string; cud: string }) {
  const command =
    runtime === 'node'
      ? ['node', ...NODE_ARGS, 'out/server-js/sync/server/cli.js', '--config', configFile]
      : ['npx', 'tsx', 'sync/server/cli.ts', '--config', configFile];
  const child = spawn(command[0] as string, command.slice(1), {
    env: {
      ...process.env,
      PORT: '0',
      MONGODB_URI: uri,
      APP_DATABASE: databases.app,
      CUSTOM_DATA_DATABASE: databases.cud,
      LOG_LEVEL: 'error',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /listening on (\S+)/.exec(out);
      if (match) resolve(match[1] as string);
    });
    child.once('exit', (code) => reject(new Error(`backend exited with ${code}`)));
  });
  return { child, url };
}

/** The backend's own pid (npx → tsx → node): the deepest descendant whose command runs cli.ts. */
function serverPid(root: number): number {
  const children = (pid: number): number[] => {
    try {
      return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
        .trim()
        .split(/\s+/)
        .filter(Boolean)
        .map(Number);
    } catch {
      return [];
    }
  };
  const cmd = (pid: number) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  let best = root;
  const walk = (pid: number) => {
    for (const child of children(pid)) {
      if (/cli\.(ts|js)/.test(cmd(child))) best = child;
      walk(child);
    }
  };
  walk(root);
  return best;
}

function rssMb(pid: number): number {
  const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  return kb / 1024;
}

async function anonymousLogin(url: string): Promise<{ userId: string; token: string }> {
  const res = await fetch(`${url}${paths.providerLogin(APP_ID, 'anon-user')}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ options: { device: {} } }),
  });
  if (!res.ok) throw new Error(`login failed: ${res.status} ${await res.text()}`);
  const body = (await res.json()) as { user_id: string; access_token: string };
  return { userId: body.user_id, token: body.access_token };
}

/** One watch stream; `onEvent` gets each change event's parsed JSON. */
type WireEvent = { updateDescription?: { updatedFields?: { i?: { $numberInt?: string } } } };

function openStream(url: string, token: string, onEvent: (event: WireEvent) => void, database = cdDb) {
  const qs = watchQueryString({
    name: 'watch',
    service: 'mongodb-atlas',
    arguments: [{ database, collection: 'custom-user-data' }],
  });
  return new Promise<() => void>((resolve, reject) => {
    const req = request(`${url}${paths.functionsCall(APP_ID)}${qs}`, {
      agent,
      headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' },
    });
    req.once('error', reject);
    req.once('response', (res) => {
      if (res.statusCode !== 200) return reject(new Error(`watch answered ${res.statusCode}`));
      const reader = new SseReader();
      res.on('data', (chunk: Buffer) => {
        for (const block of reader.push(chunk)) {
          if (block.kind === 'message') onEvent(JSON.parse(block.data));
          if (block.kind === 'error') console.error(`stream error: ${block.errorCode} ${block.error}`);
        }
      });
      resolve(() => req.destroy());
    });
    req.end();
  });
}

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? Number.NaN;
}

async function main(): Promise<void> {
  const mongo = new MongoClient(uri as string);
  await mongo.connect();
  const coll = mongo.db(cdDb).collection('custom-user-data');
  if (RUNTIME === 'node' || BASELINE === 'node') {
    console.log('compiling the server to JavaScript (tsc -p tsconfig.server.json)...');
    execFileSync('npx', ['tsc', '-p', 'tsconfig.server.json'], { stdio: 'inherit' });
  }
  const { child, url } = await startBackend(RUNTIME, { app: appDb, cud: cdDb });
  const pid = child.pid === undefined ? 0 : serverPid(child.pid);
  const closers: (() => void)[] = [];
  const rssByRuntime = new Map<Runtime, number>();
  try {
    const command = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').slice(0, 80);
    console.log(`backend ${url} (pid ${pid}: ${command}), RSS at start ${rssMb(pid).toFixed(0)} MB`);

    // Phase 1: latency with CLIENTS subscribers.
    const users: { userId: string; token: string }[] = [];
    for (let i = 0; i < CLIENTS; i++) users.push(await anonymousLogin(url));
    await coll.insertMany(users.map((u, i) => ({ userId: u.userId, i: -1, client: i })));
    const sentAt = new Map<number, number>();
    const latencies: number[] = [];
    let received = 0;
    let wake: (() => void) | undefined;
    for (const u of users) {
      closers.push(
        await openStream(url, u.token, (event) => {
          // The field this write set (canonical EJSON on the wire), not the looked-up document.
          const i = Number(event.updateDescription?.updatedFields?.i?.$numberInt);
          const t0 = sentAt.get(i);
          if (t0 !== undefined) latencies.push(performance.now() - t0);
          received += 1;
          wake?.();
        }),
      );
    }
    const deadline = performance.now() + SECONDS * 1000;
    // Writes paced one at a time per document owner round-robin, 4 in flight: a steady load.
    let next = 0;
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        while (next < WRITES && performance.now() < deadline) {
          const i = next++;
          const user = users[i % users.length];
          sentAt.set(i, performance.now());
          await coll.updateOne({ userId: user?.userId }, { $set: { i } });
        }
      }),
    );
    const sent = next;
    while (received < sent && performance.now() < deadline) {
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, 1000).unref();
      });
    }
    latencies.sort((a, b) => a - b);
    console.log(
      `${CLIENTS} clients, ${sent} writes: ${latencies.length} events, ` +
        `latency p50 ${pct(latencies, 0.5).toFixed(1)} ms, p99 ${pct(latencies, 0.99).toFixed(1)} ms, ` +
        `max ${(latencies.at(-1) ?? Number.NaN).toFixed(1)} ms`,
    );

    // Phase 2: RSS with STREAMS open streams, on a fresh backend per runtime (the same phase on
    // each, so the figures compare): the one measured, then the baseline runtime.
    for (const close of closers.splice(0)) close();
    for (const runtime of BASELINE === 'none' ? [RUNTIME] : [RUNTIME, BASELINE]) {
      const r = await rssPhase(runtime, mongo);
      rssByRuntime.set(runtime, r.rss);
      console.log(
        `${r.streams} open streams: backend RSS ${r.rss.toFixed(0)} MB under ${runtime === 'node' ? `node ${NODE_ARGS.join(' ')}`.trim() : 'tsx'} (${r.start.toFixed(0)} MB at start, before any stream)`,
      );
    }
    if (BASELINE !== 'none')
      console.log(
        `RSS ${RUNTIME} / ${BASELINE} = ${((rssByRuntime.get(RUNTIME) ?? 0) / (rssByRuntime.get(BASELINE) ?? 1)).toFixed(2)}x (goal < 150 MB at 1,000 streams)`,
      );
  } finally {
    for (const close of closers) close();
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
    for (const db of [cdDb, appDb])
      await mongo
        .db(db)
        .dropDatabase()
        .catch(() => undefined);
    await mongo.close();
    agent.destroy();
  }
}

/** Opens streams up to STREAMS (anonymous users of their own), touches them with writes, samples RSS. */
async function streamsRss(
  url: string,
  pid: number,
  closers: (() => void)[],
  coll: ReturnType<ReturnType<MongoClient['db']>['collection']>,
  database: string,
): Promise<number> {
  // Opening 1,000 streams means 1,000 anonymous logins (each writes a user and a session): longer.
  const deadline = performance.now() + 4 * SECONDS * 1000;
  const owners: string[] = [];
  // Eight at a time: each is a login (a user and a session written) and a stream opened.
  let opening = closers.length;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (opening < STREAMS && performance.now() < deadline) {
        opening += 1;
        const u = await anonymousLogin(url);
        owners.push(u.userId);
        closers.push(await openStream(url, u.token, () => undefined, database));
      }
    }),
  );
  if (owners.length) await coll.insertMany(owners.map((userId, client) => ({ userId, client, i: -1 })));
  const rssSamples = [rssMb(pid)];
  for (let k = 0; k < 50 && performance.now() < deadline + SECONDS * 1000; k++) {
    // A few writes so every stream's buffers are touched, then a sample.
    await coll.updateOne(
      { client: k % Math.max(1, Math.min(CLIENTS, owners.length || CLIENTS)) },
      { $set: { touched: k } },
    );
    rssSamples.push(rssMb(pid));
  }
  return Math.max(...rssSamples);
}

/** The RSS phase on a fresh backend under `runtime`, on databases of its own. */
async function rssPhase(runtime: Runtime, mongo: MongoClient) {
  const databases = { app: `${appDb}-${runtime}`, cud: `${cdDb}-${runtime}` };
  const { child, url } = await startBackend(runtime, databases);
  const pid = child.pid === undefined ? 0 : serverPid(child.pid);
  const closers: (() => void)[] = [];
  try {
    const start = rssMb(pid);
    const coll = mongo.db(databases.cud).collection('custom-user-data');
    const rss = await streamsRss(url, pid, closers, coll, databases.cud);
    return { start, rss, streams: closers.length };
  } finally {
    for (const close of closers) close();
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
    for (const db of [databases.app, databases.cud])
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
