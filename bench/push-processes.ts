/**
 * The push bench's moving parts: backends as their own processes (compiled JavaScript under
 * plain node, or tsx), their pid and RSS, anonymous logins, and raw SSE watch streams.
 */
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { paths } from '../sync/protocol/index.js';
import { SseReader, watchQueryString } from '../sync/protocol/watch.js';

export const APP_ID = 'customdata-desk';
export type Runtime = 'node' | 'tsx';
export const ADMIN_KEY = randomBytes(24).toString('hex');
const agent = new Agent({ keepAlive: true, maxSockets: Infinity });

export interface Backend {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

/** One backend process on `databases`; `nodeArgs` for the compiled server's node. */
export async function startBackend(
  runtime: Runtime,
  mongodbUri: string,
  databases: { app: string; cud: string },
  configFile: string,
  nodeArgs: string[],
): Promise<Backend> {
  const command =
    runtime === 'node'
      ? ['node', ...nodeArgs, 'out/server-js/sync/server/cli.js', '--config', configFile]
      : ['npx', 'tsx', 'sync/server/cli.ts', '--config', configFile];
  const child = spawn(command[0] as string, command.slice(1), {
    env: {
      ...process.env,
      PORT: '0',
      MONGODB_URI: mongodbUri,
      APP_DATABASE: databases.app,
      CUSTOM_DATA_DATABASE: databases.cud,
      ADMIN_KEY,
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
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const pid = child.pid === undefined ? 0 : serverPid(child.pid);
  return {
    url,
    pid,
    async stop() {
      // The server itself: npx does not pass SIGTERM on to tsx's node.
      if (pid !== child.pid) process.kill(pid, 'SIGTERM');
      child.kill('SIGTERM');
      await exited;
    },
  };
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
  let best = root;
  const walk = (pid: number) => {
    for (const child of children(pid)) {
      if (/cli\.(ts|js)/.test(commandLine(child))) best = child;
      walk(child);
    }
  };
  walk(root);
  return best;
}

export const commandLine = (pid: number) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');

export function rssMb(pid: number): number {
  const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  return kb / 1024;
}

/** The backend's watch counters (`GET /admin/v1/stats`). */
export async function watchStats(url: string): Promise<{ openChangeStreams: number; subscribers: number }> {
  const res = await fetch(`${url}/admin/v1/stats`, { headers: { 'x-admin-key': ADMIN_KEY } });
  if (!res.ok) throw new Error(`stats answered ${res.status} ${await res.text()}`);
  return ((await res.json()) as { watch: { openChangeStreams: number; subscribers: number } }).watch;
}

export async function anonymousLogin(url: string): Promise<{ userId: string; token: string }> {
  const res = await fetch(`${url}${paths.providerLogin(APP_ID, 'anon-user')}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ options: { device: {} } }),
  });
  if (!res.ok) throw new Error(`login failed: ${res.status} ${await res.text()}`);
  const body = (await res.json()) as { user_id: string; access_token: string };
  return { userId: body.user_id, token: body.access_token };
}

/** The field a write set, as a change event carries it (canonical EJSON on the wire). */
export type WireEvent = { updateDescription?: { updatedFields?: { i?: { $numberInt?: string } } } };

/** One watch stream of `database`'s custom data collection; resolves with its closer once open. */
export function openStream(
  url: string,
  token: string,
  database: string,
  onEvent: (event: WireEvent) => void,
): Promise<() => void> {
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

/** Runs `work` `width` at a time over `count` items (index given), until `deadline` (performance.now()). */
export async function inParallel(
  count: number,
  width: number,
  deadline: number,
  work: (index: number) => Promise<void>,
): Promise<number> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < count && performance.now() < deadline) await work(next++);
    }),
  );
  return next;
}

/**
 * Runs `work` on a freshly started in-memory SecantusDB (test/mongo-server), stopped afterwards:
 * its change streams slow down as its history grows, so each configuration gets the same start.
 */
export async function onFreshSecantus<T>(work: (uri: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'push-bench-db-'));
  const port = String(20_000 + Math.floor(Math.random() * 20_000));
  const out = execFileSync('bash', ['test/mongo-server/start-secantus.sh', dir, port, '--memory'], {
    encoding: 'utf8',
  });
  const uri = /MONGODB_URI=(\S+)/.exec(out)?.[1];
  if (!uri) throw new Error(`SecantusDB did not start: ${out}`);
  try {
    return await work(uri);
  } finally {
    execFileSync('bash', ['test/mongo-server/stop-secantus.sh', dir], { stdio: 'ignore' });
    rmSync(dir, { recursive: true, force: true });
  }
}

export function closeAgent(): void {
  agent.destroy();
}

export function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? Number.NaN;
}
