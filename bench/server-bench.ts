/**
 * Server benchmark: login and refresh throughput and latency with 10,000 users, at 1 and
 * 50 concurrent clients, against a raw driver findOne on the user ID field (the floor:
 * every login and refresh does at least that lookup) measured in the same run.
 *
 *   MONGODB_URI=mongodb://127.0.0.1:27117/ npm run bench:server   (embedded mongod when unset)
 *   BENCH_USERS=10000 BENCH_SCALE=1 BENCH_SECONDS=10 to change the size.
 *
 * Refresh is also measured against the server as it was before the live-session checks on writes
 * (BENCH_BEFORE_REF, default d3f6bec~1; `none` to skip): that version's sync/ is extracted with
 * `git archive` into .bench-ref/ and started on the same databases (same users and sessions),
 * and the two are measured in turns (now, before, now, before) in this one run.
 *
 * Each measurement stops at its operation count or after BENCH_SECONDS, whichever is first,
 * so the run stays bounded on slow servers.
 */
import { execSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { type Document, ObjectId } from 'mongodb';
import { paths } from '../sync/protocol/index.js';
import { hashPassword } from '../sync/server/auth/index.js';
import type { RunningServer } from '../sync/server/server.js';
import { runBench, withBenchServer } from './bench-server.js';

/** The attacker's loop (plain JS, run in a worker thread): back-to-back requests until told to stop. */
const ATTACKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
let stop = false;
parentPort.once('message', () => { stop = true; });
(async () => {
  const perKind = workerData.bodies.map(() => ({ n: 0, ms: 0, status: 0 }));
  let refused = 0;
  for (let i = 0; !stop && i < 100000; i++) {
    const k = i % workerData.bodies.length;
    const t0 = performance.now();
    try {
      const res = await fetch(workerData.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer ' + workerData.token },
        body: workerData.bodies[k],
      });
      await res.text();
      if (res.status >= 400 && res.status < 500) refused++;
      perKind[k].status = res.status;
    } catch (error) {
      perKind[k].status = -1;
    }
    perKind[k].n++;
    perKind[k].ms += performance.now() - t0;
  }
  parentPort.postMessage({ refused, perKind });
})();
`;

const BEFORE_REF = process.env.BENCH_BEFORE_REF ?? 'd3f6bec~1';

/** The backend as of `ref` on the same databases as `now`, or undefined when git cannot give it. */
async function startServerAt(ref: string, now: RunningServer): Promise<RunningServer | undefined> {
  const dir = resolve('.bench-ref', ref.replace(/[^A-Za-z0-9_-]/g, '_'));
  try {
    if (!existsSync(join(dir, 'sync'))) {
      mkdirSync(dir, { recursive: true });
      execSync(`git archive ${ref} sync | tar -x -C ${JSON.stringify(dir)}`, { stdio: 'pipe' });
    }
  } catch (error) {
    console.log(`(no comparison with ${ref}: ${(error as Error).message.split('\n')[0]})`);
    return undefined;
  }
  const mod = (await import(pathToFileURL(join(dir, 'sync/server/server.ts')).href)) as {
    startServer: (input: object) => Promise<RunningServer>;
  };
  return mod.startServer({
    port: 0,
    mongodbUri: process.env.MONGODB_URI,
    dataDir: '.data/bench',
    appDatabase: now.config.appDatabase,
    customData: { database: now.config.customData.database },
    logLevel: 'error',
  });
}

const USERS = Number(process.env.BENCH_USERS ?? 10_000);
const SCALE = Number(process.env.BENCH_SCALE ?? 1);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const PASSWORD = 'benchmark-password';

interface Result {
  name: string;
  concurrency: number;
  ops: number;
  seconds: number;
  p50: number;
  p99: number;
}

async function measure(
  name: string,
  concurrency: number,
  ops: number,
  op: (i: number) => Promise<void>,
): Promise<Result> {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  const deadline = started + SECONDS * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < ops && performance.now() < deadline) {
        const i = next++;
        const t0 = performance.now();
        await op(i);
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? 0;
  return { name, concurrency, ops: latencies.length, seconds, p50: pct(0.5), p99: pct(0.99) };
}

async function main(): Promise<void> {
  await withBenchServer('bench', async (server) => {
    const mongo = server.mongo.client;
    const appDb = mongo.db(server.config.appDatabase);
    const cud = mongo.db(server.config.customData.database).collection(server.config.customData.collection);
    // Seed directly (registering 10,000 users through scrypt would take minutes).
    console.log(`seeding ${USERS} users with custom data...`);
    const hash = await hashPassword(PASSWORD);
    const emails: string[] = [];
    const userIds: string[] = [];
    for (let start = 0; start < USERS; start += 1000) {
      const users: Document[] = [];
      const creds: Document[] = [];
      const docs: Document[] = [];
      for (let i = start; i < Math.min(USERS, start + 1000); i++) {
        const _id = new ObjectId();
        const email = `bench-${i}@example.com`;
        const identityId = new ObjectId().toHexString();
        users.push({
          _id,
          type: 'normal',
          identities: [
            {
              id: identityId,
              provider_type: 'local-userpass',
              provider_id: `${'0'.repeat(23)}1`,
              provider_data: { email },
            },
          ],
          data: { email },
          createdAt: new Date(),
        });
        creds.push({
          _id: email,
          passwordHash: hash,
          identityId,
          userId: _id.toHexString(),
          createdAt: new Date(),
        });
        docs.push({
          userId: _id.toHexString(),
          favoriteColor: 'blue',
          preferredLanguage: 'en',
          timezone: 'Europe/Berlin',
          dateOfBirth: new Date('1990-01-01'),
        });
        emails.push(email);
        userIds.push(_id.toHexString());
      }
      await appDb.collection('users').insertMany(users);
      await appDb.collection('credentials').insertMany(creds);
      await cud.insertMany(docs);
    }

    const base = server.url;
    const appId = server.config.appId;
    const pick = (i: number) => (i * 7919) % USERS;
    const post = async (url: string, init: RequestInit) => {
      const res = await fetch(url, init);
      if (!res.ok) throw new Error(`${url}: ${res.status} ${await res.text()}`);
      return res.json() as Promise<Record<string, string>>;
    };
    const login = (i: number) =>
      post(`${base}${paths.providerLogin(appId, 'local-userpass')}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({ username: emails[pick(i)], password: PASSWORD, options: { device: {} } }),
      });

    // Refresh tokens for the refresh runs: one session per user we will refresh.
    const refreshTokens: string[] = [];
    const sessions = Math.min(USERS, 200);
    const warm = await measure('sessions for the refresh runs', 25, sessions, async (i) => {
      refreshTokens.push((await login(i)).refresh_token as string);
    });
    if (warm.ops === 0) throw new Error('no login completed within BENCH_SECONDS');

    const results: Result[] = [];
    for (const c of [1, 50]) {
      results.push(
        await measure(
          'raw driver findOne (baseline)',
          c,
          Math.round((c === 1 ? 2000 : 10000) * SCALE),
          async (i) => {
            await cud
              .find({ userId: userIds[pick(i)] })
              .sort({ _id: 1 })
              .limit(1)
              .next();
          },
        ),
      );
      results.push(
        await measure(
          'refresh (POST /auth/session)',
          c,
          Math.round((c === 1 ? 1000 : 5000) * SCALE),
          async (i) => {
            await post(`${base}${paths.session}`, {
              method: 'POST',
              headers: {
                authorization: `Bearer ${refreshTokens[i % refreshTokens.length]}`,
                accept: 'application/json',
              },
            });
          },
        ),
      );
      results.push(
        await measure(
          'login (email/password, scrypt)',
          c,
          Math.round((c === 1 ? 100 : 500) * SCALE),
          async (i) => {
            await login(i);
          },
        ),
      );
    }

    // Refresh now and before the live-session checks on writes, in turns on the same data.
    const before = BEFORE_REF === 'none' ? undefined : await startServerAt(BEFORE_REF, server);
    const turns: { now: Result[]; before: Result[] } = { now: [], before: [] };
    if (before) {
      const refreshAt = (url: string) => async (i: number) => {
        await post(`${url}${paths.session}`, {
          method: 'POST',
          headers: {
            authorization: `Bearer ${refreshTokens[i % refreshTokens.length]}`,
            accept: 'application/json',
          },
        });
      };
      try {
        for (let round = 0; round < 2; round++) {
          const n = Math.round(3000 * SCALE);
          turns.now.push(await measure('refresh now', 50, n, refreshAt(base)));
          turns.before.push(await measure(`refresh at ${BEFORE_REF}`, 50, n, refreshAt(before.url)));
        }
      } finally {
        await before.close();
      }
    }

    // A bystander's refresh latency while another user sends requests the limits refuse
    // (catastrophic regex, deep filter, deep document, huge $in, oversized pipeline).
    const attacker = await login(1);
    const cdCfg = server.config.customData;
    const deep = (n: number) => {
      let node: unknown = 1;
      for (let i = 0; i < n; i++) node = { a: node };
      return node;
    };
    const target = { database: cdCfg.database, collection: cdCfg.collection };
    const attacks: [string, unknown][] = [
      ['count', { ...target, query: { long: { $regex: '^(a+)+$' } } }],
      ['find', { ...target, query: deep(150) }],
      ['insertOne', { ...target, document: { deep: deep(150) } }],
      ['count', { ...target, query: { long: { $in: Array.from({ length: 200_000 }, (_, i) => `v${i}`) } } }],
      ['aggregate', { ...target, pipeline: Array.from({ length: 500 }, () => ({ $match: {} })) }],
    ];
    const attackBodies = attacks.map(([name, arg]) =>
      JSON.stringify({ name, service: cdCfg.serviceName, arguments: [arg] }),
    );
    const bystanderOps = Math.round(300 * SCALE);
    const bystander = (i: number) =>
      post(`${base}${paths.session}`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${refreshTokens[i % refreshTokens.length]}`,
          accept: 'application/json',
        },
      }).then(() => undefined);
    const idle = await measure('bystander refresh, idle', 1, bystanderOps, bystander);
    // The attacker is another client: its own thread (event loop), as another machine would be,
    // so what the bystander waits for is the server, not the attacker's own request encoding.
    const attackerThread = new Worker(ATTACKER_SOURCE, {
      eval: true,
      workerData: {
        url: `${base}${paths.functionsCall(appId)}`,
        token: attacker.access_token,
        bodies: attackBodies,
      },
    });
    const attackStats = new Promise<{
      refused: number;
      perKind: { n: number; ms: number; status: number }[];
    }>((resolve, reject) => {
      attackerThread.once('message', resolve);
      attackerThread.once('error', reject);
    });
    await new Promise((resolve) => attackerThread.once('online', resolve));
    const loaded = await measure('bystander refresh, under attack', 1, bystanderOps, bystander);
    attackerThread.postMessage('stop');
    const { refused, perKind } = await attackStats;
    await attackerThread.terminate();
    results.push(idle, loaded);

    console.log(
      `\nusers: ${USERS}, MongoDB: ${process.env.MONGODB_URI ? 'MONGODB_URI' : 'embedded mongod'}, node ${process.version}`,
    );
    console.log(
      'operation                          conc      ops     ops/s    p50 ms    p99 ms   vs baseline ops/s',
    );
    for (const r of results) {
      const baseline = results.find((b) => b.concurrency === r.concurrency && b.name.startsWith('raw'));
      const rate = r.ops / r.seconds;
      const ratio = baseline ? rate / (baseline.ops / baseline.seconds) : 1;
      console.log(
        `${r.name.padEnd(34)} ${String(r.concurrency).padStart(4)} ${String(r.ops).padStart(8)} ${rate.toFixed(0).padStart(9)} ${r.p50.toFixed(2).padStart(9)} ${r.p99.toFixed(2).padStart(9)}   ${ratio.toFixed(3)}x`,
      );
    }
    const raw50 = results.find((r) => r.concurrency === 50 && r.name.startsWith('raw'));
    const refresh50 = results.find((r) => r.concurrency === 50 && r.name.startsWith('refresh'));
    if (raw50 && refresh50)
      console.log(
        `raw lookup p50 ${raw50.p50.toFixed(2)} ms; refresh at 50 clients ${(refresh50.ops / refresh50.seconds).toFixed(0)} ops/s = ${(refresh50.ops / refresh50.seconds / (raw50.ops / raw50.seconds)).toFixed(3)}x raw lookup ops/s`,
      );
    if (turns.now.length) {
      const rate = (rs: Result[]) =>
        rs.reduce((a, r) => a + r.ops, 0) / rs.reduce((a, r) => a + r.seconds, 0);
      const nowRate = rate(turns.now);
      const beforeRate = rate(turns.before);
      console.log(
        `refresh at 50 clients, in turns: now ${nowRate.toFixed(0)} ops/s (${turns.now.map((r) => (r.ops / r.seconds).toFixed(0)).join(', ')}), ` +
          `before the live-session checks (${BEFORE_REF}) ${beforeRate.toFixed(0)} ops/s (${turns.before.map((r) => (r.ops / r.seconds).toFixed(0)).join(', ')}) = ${(nowRate / beforeRate).toFixed(3)}x (goal >= 0.9x)`,
      );
    }
    console.log(
      `attack requests (mean ms, status): ${attacks
        .map(([name], k) => {
          const kind = perKind[k];
          return `${name} ${kind ? (kind.ms / Math.max(1, kind.n)).toFixed(1) : '-'} (${kind?.status ?? '-'})`;
        })
        .join('; ')}`,
    );
    console.log(
      `bystander refresh p99 under refused requests: ${loaded.p99.toFixed(2)} ms vs idle ${idle.p99.toFixed(2)} ms = ${(loaded.p99 / idle.p99).toFixed(2)}x (goal <= 2x; ${refused} attack requests refused with 4xx)`,
    );
  });
}

runBench(main);
