/**
 * Client engine benchmark, each figure with a baseline measured in the same run:
 *   1. durable edits/s through `client.set` vs raw better-sqlite3 single-row inserts
 *      (both WAL + synchronous=FULL, one transaction per edit), in alternating blocks of 100 so
 *      that a busy moment of a shared machine (another fsync-heavy job) weighs on both alike;
 *   2. cold start to cached data from a file holding 100 users vs a raw open + indexed read;
 *   3. flush of 1,000 queued edits to 50 fields: requests sent and time (median of 5), vs one raw
 *      round trip (median, measured between the flushes).
 *
 *   MONGODB_URI=mongodb://127.0.0.1:27117/ npm run bench:client   (embedded mongod when unset)
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import Database from 'better-sqlite3';
import { CustomDataClient } from '../sync/client/index.js';
import { plainSecretStore } from '../sync/client/ports.js';
import { LocalStore } from '../sync/client/sqlite/local-store.js';
import { paths } from '../sync/protocol/index.js';
import { runBench, withBenchServer } from './bench-server.js';

const EDITS = Number(process.env.BENCH_EDITS ?? 3000);
const FLUSH_ROUNDS = Number(process.env.BENCH_FLUSH_ROUNDS ?? 5);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

async function main(): Promise<void> {
  await withBenchServer('benchc', async (server) => {
    const requests: string[] = [];
    const countingFetch = (url: string, init?: RequestInit) => {
      requests.push(`${init?.method ?? 'GET'} ${new URL(url).pathname}`);
      return fetch(url, init);
    };
    const open = (dataDir: string) =>
      new CustomDataClient({
        baseUrl: server.url,
        appId: server.config.appId,
        dataDir,
        fetch: countingFetch,
      });
    const suffix = randomBytes(3).toString('hex');
    const email = `bench-${suffix}@example.com`;
    const dataDir = mkdtempSync(join(tmpdir(), 'cdd-bench-'));
    const client = open(dataDir);
    client.start();
    await client.register(email, 'benchmark-password');
    await client.logIn({ email, password: 'benchmark-password' });
    await client.flush();

    // 1. Durable edits per second, set() and the raw insert in alternating blocks.
    await client.tester.setOffline(true);
    const raw = new Database(join(dataDir, 'raw.sqlite'));
    raw.pragma('journal_mode = WAL');
    raw.pragma('synchronous = FULL');
    raw.exec(
      'CREATE TABLE edits (seq INTEGER PRIMARY KEY AUTOINCREMENT, path TEXT, value TEXT, created_at INTEGER)',
    );
    const insert = raw.prepare('INSERT INTO edits (path, value, created_at) VALUES (?, ?, ?)');
    let setMs = 0;
    let rawMs = 0;
    let t0: number;
    for (let start = 0; start < EDITS; start += 100) {
      const end = Math.min(EDITS, start + 100);
      t0 = performance.now();
      for (let i = start; i < end; i++) await client.set(`field${i % 50}`, i);
      setMs += performance.now() - t0;
      t0 = performance.now();
      for (let i = start; i < end; i++) insert.run(`field${i % 50}`, JSON.stringify(i), Date.now());
      rawMs += performance.now() - t0;
    }
    const setRate = EDITS / (setMs / 1000);
    const rawRate = EDITS / (rawMs / 1000);
    raw.close();

    // 3. Flush of 1,000 queued edits to 50 fields (the first 1,000 of those above stay queued),
    // FLUSH_ROUNDS times with 1,000 new edits each, each round followed by raw round trips:
    // medians of both, so one slow moment of a shared machine does not decide the ratio.
    for (const entry of client.outbox.list().slice(1000)) client.outbox.discard(entry.seq);
    const queued = client.status.pendingCount;
    const token = () => (client as unknown as { session: { accessToken: string } }).session.accessToken;
    const flushes: number[] = [];
    const oneTrip: number[] = [];
    const flushRequests = new Set<string>();
    let pendingAfter = 0;
    for (let round = 0; round < FLUSH_ROUNDS; round++) {
      if (round > 0) {
        await client.tester.setOffline(true);
        for (let i = 0; i < 1000; i++) await client.set(`field${i % 50}`, round * 1000 + i);
      }
      requests.length = 0;
      t0 = performance.now();
      await client.tester.setOffline(false);
      await client.flush();
      flushes.push(performance.now() - t0);
      // The live subscription's stream (GET …/functions/call?watch) opens on reconnecting: not part of the flush.
      const sent = requests.filter((r) => r !== `GET ${paths.functionsCall(server.config.appId)}`);
      flushRequests.add(`${sent.length} (${sent.join(', ')})`);
      pendingAfter = Math.max(pendingAfter, client.status.pendingCount);
      // Baseline: one raw round trip of the same endpoint with a one-field call.
      for (let i = 0; i < 4; i++) {
        const s = performance.now();
        const res = await fetch(`${server.url}${paths.functionsCall(server.config.appId)}`, {
          method: 'POST',
          headers: {
            authorization: `Bearer ${token()}`,
            'content-type': 'application/json',
            accept: 'application/json',
          },
          body: JSON.stringify({ name: 'updateCustomUserData', arguments: [{ field0: i }] }),
        });
        await res.text();
        oneTrip.push(performance.now() - s);
      }
    }
    const flushMs = median(flushes);
    const session = client.status;
    await client.close();

    // 2. Cold start from a file holding 100 users.
    const coldDir = mkdtempSync(join(tmpdir(), 'cdd-cold-'));
    const store = new LocalStore(join(coldDir, 'customdata-desk.sqlite'), plainSecretStore);
    const doc = JSON.stringify({
      favoriteColor: 'blue',
      preferredLanguage: 'en',
      timezone: 'Europe/Berlin',
      notes: 'x'.repeat(500),
    });
    for (let u = 0; u < 100; u++) {
      const userId = `user${String(u).padStart(3, '0')}`;
      store.saveSession({
        userId,
        provider: 'local-userpass',
        email: `${userId}@example.com`,
        accessToken: 'a',
        refreshToken: 'r',
        state: 'active',
        updatedAt: 0,
      });
      store.saveCustomData({
        userId,
        dataEJSON: doc,
        issuedAt: 0,
        expiresAt: 1,
        fetchedAt: 0,
        source: 'login',
      });
    }
    store.setMeta('current_user', 'user057');
    store.close();
    const cold: number[] = [];
    const coldRaw: number[] = [];
    for (let i = 0; i < 30; i++) {
      let s = performance.now();
      const c = new CustomDataClient({ baseUrl: 'http://127.0.0.1:9', appId: 'x', dataDir: coldDir });
      if (c.customData?.favoriteColor !== 'blue') throw new Error('cold start read the wrong data');
      cold.push(performance.now() - s);
      await c.close();
      s = performance.now();
      const db = new Database(join(coldDir, 'customdata-desk.sqlite'));
      db.prepare('SELECT data_ejson FROM custom_data WHERE user_id = ?').get('user057');
      coldRaw.push(performance.now() - s);
      db.close();
    }

    const trip = median(oneTrip);
    console.log(
      `client engine benchmark (node ${process.version}, MongoDB: ${process.env.MONGODB_URI ? 'MONGODB_URI' : 'embedded mongod'})`,
    );
    console.log(
      `durable edits via set():        ${setRate.toFixed(0)} /s   raw better-sqlite3 insert: ${rawRate.toFixed(0)} /s (same run, alternating blocks)   ratio ${(setRate / rawRate).toFixed(2)}x (goal >= 0.8x)`,
    );
    console.log(
      `cold start to cached data:      ${median(cold).toFixed(2)} ms (median of 30, 100 users)   raw open + indexed read: ${median(coldRaw).toFixed(2)} ms   ratio ${(median(cold) / median(coldRaw)).toFixed(2)}x`,
    );
    console.log(
      `flush ${queued} edits / 50 fields:   ${flushMs.toFixed(0)} ms (median of ${FLUSH_ROUNDS}: ${flushes.map((f) => f.toFixed(0)).join(', ')}), requests ${[...flushRequests].join(' / ')}, ${pendingAfter} left   one raw round trip: ${trip.toFixed(2)} ms (median of ${oneTrip.length})   ratio ${(flushMs / trip).toFixed(1)}x`,
    );
    if (session.session !== 'active') throw new Error('session lost during the benchmark');
  });
}

runBench(main);
