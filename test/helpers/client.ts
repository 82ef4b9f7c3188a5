/**
 * Drives the client engine in tests: shared manual time, a switchable network, fresh data dirs,
 * and `withStack`, the server + clock + engines setup of the files that test the engine against the backend.
 */
import { mkdtempSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll } from 'vitest';
import type { ClientOptions, ClientStatus, CustomDataClient } from '../../sync/client/index.js';
import { CustomDataClient as Client } from '../../sync/client/index.js';
import type { Clock, FetchLike, Timers } from '../../sync/client/ports.js';
import type { ServerConfigInput } from '../../sync/server/config.js';
import { ADMIN_KEY, type ManualClock, raw, startTestServer, type TestServer } from './server.js';

/** Clock + timers on the server's manual clock: `advance` fires due timers in order. */
export class FakeTime implements Clock, Timers {
  private queue: { id: number; at: number; fn: () => void }[] = [];
  private nextId = 1;
  constructor(private readonly clock: ManualClock) {}
  now = (): number => this.clock.now();
  setTimeout = (fn: () => void, ms: number): unknown => {
    const id = this.nextId++;
    this.queue.push({ id, at: this.clock.now() + Math.max(0, ms), fn });
    return id;
  };
  clearTimeout = (handle: unknown): void => {
    this.queue = this.queue.filter((t) => t.id !== handle);
  };
  /** Moves time forward, running each timer that falls due, earliest first. */
  advance(ms: number): void {
    const target = this.clock.now() + ms;
    for (;;) {
      const due = this.queue.filter((t) => t.at <= target).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      this.queue = this.queue.filter((t) => t !== due);
      this.clock.ms = Math.max(this.clock.ms, due.at);
      due.fn();
    }
    this.clock.ms = target;
  }
}

let closedPortOnce: Promise<number> | undefined;
/** A loopback port nobody listens on (taken from the OS, then released): connecting is refused. */
function closedPort(): Promise<number> {
  closedPortOnce ??= new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
  return closedPortOnce;
}

/** A network the test can cut: while down every request fails like a dropped connection. */
export class SwitchableNetwork {
  down = false;
  requests: string[] = [];
  /** Set to make the next matching request reach the server but lose its response. */
  loseNextResponseTo: RegExp | undefined;
  /** Requests matching this get a server error of this status instead of reaching the server. */
  failing: { to: RegExp; status: number } | undefined;
  private held: { to: RegExp; reached: () => void; gate: Promise<void> } | undefined;
  /**
   * The next matching request waits before it is sent until `release()`; `reached` resolves
   * once it is waiting. For answers that arrive after something else changed.
   */
  hold(to: RegExp): { reached: Promise<void>; release: () => void } {
    let release!: () => void;
    let reached!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const reachedPromise = new Promise<void>((resolve) => {
      reached = resolve;
    });
    this.held = { to, reached, gate };
    return { reached: reachedPromise, release };
  }
  /** Every connection is refused for real (the request goes to a closed port): nothing is sent. */
  refusing = false;
  fetch: FetchLike = async (url, init) => {
    this.requests.push(`${init?.method ?? 'GET'} ${new URL(url).pathname}`);
    if (this.down) throw new TypeError('fetch failed');
    if (this.refusing) {
      const closed = new URL(url);
      closed.port = String(await closedPort());
      return fetch(closed, init);
    }
    const held = this.held;
    if (held?.to.test(url)) {
      this.held = undefined;
      held.reached();
      await held.gate;
    }
    if (this.failing?.to.test(url))
      return new Response(JSON.stringify({ error: 'backend failing', error_code: 'InternalServerError' }), {
        status: this.failing.status,
        headers: { 'content-type': 'application/json' },
      });
    const response = await fetch(url, init);
    if (this.loseNextResponseTo?.test(url)) {
      this.loseNextResponseTo = undefined;
      await response.arrayBuffer();
      throw new TypeError('fetch failed: connection reset after the request was sent');
    }
    return response;
  };
}

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'cdd-client-'));
}

export function newClient(
  server: TestServer,
  time: FakeTime,
  net: SwitchableNetwork,
  dataDir = tempDir(),
  live?: ClientOptions['live'],
): CustomDataClient {
  const client = new Client({
    baseUrl: server.url,
    appId: server.config.appId,
    dataDir,
    fetch: net.fetch,
    clock: time,
    timers: time,
    random: () => 0.5,
    live,
  });
  client.start();
  return client;
}

/** Resolves with the first status (current or emitted) that satisfies the predicate. */
export function waitForStatus(
  client: CustomDataClient,
  predicate: (s: ClientStatus) => boolean,
): Promise<ClientStatus> {
  const now = client.status;
  if (predicate(now)) return Promise.resolve(now);
  return new Promise((resolve) => {
    const off = client.subscribe((s) => {
      if (predicate(s)) {
        off();
        resolve(s);
      }
    });
  });
}

/** Waits until the engine is online, idle and has nothing pending (or only rejected edits). */
export function settled(client: CustomDataClient): Promise<ClientStatus> {
  return waitForStatus(client, (s) => s.connection === 'online' && !s.syncing && s.pendingCount === 0);
}

/** Resolves with the next status the engine emits. */
export function nextStatus(client: CustomDataClient): Promise<ClientStatus> {
  return new Promise((resolve) => {
    const off = client.subscribe((s) => {
      off();
      resolve(s);
    });
  });
}

/** What `withStack` hands a test file: its server, the shared manual time, and engines on them. */
export interface Stack {
  /** The backend (available once the file's `beforeAll` ran). */
  readonly server: TestServer;
  /** Clock and timers of the engines, on the server's manual clock. */
  readonly time: FakeTime;
  /**
   * Opens and starts an engine on the stack's server (or on `on`, with that server's clock), on
   * a fresh data dir unless one is given; closed after each test.
   */
  client(options?: {
    net?: SwitchableNetwork;
    dataDir?: string;
    /** Passed to `newClient` (false: no live push). */
    live?: ClientOptions['live'];
    on?: TestServer;
  }): CustomDataClient;
  /** Closes an engine during the test (it is not closed again after it). */
  close(client: CustomDataClient): Promise<void>;
  /** Another writer: sets fields of the user's custom data through the admin API. */
  anotherWriter(userId: string, set: Record<string, unknown>): ReturnType<typeof raw>;
}

/**
 * The setup every engine-against-the-server file shares, as hooks of the calling file (or
 * `describe`): a backend with a manual clock before all tests, the engines opened through
 * `client()` closed after each, the server closed after all. `config` may be a function, read
 * when the server starts (after the caller's own earlier `beforeAll`, e.g. an SMTP server's URL).
 */
export function withStack(
  config: Partial<ServerConfigInput> | (() => Partial<ServerConfigInput>) = {},
  options: Parameters<typeof startTestServer>[1] = {},
): Stack {
  let server: TestServer | undefined;
  let time: FakeTime | undefined;
  const open: CustomDataClient[] = [];
  beforeAll(async () => {
    server = await startTestServer(typeof config === 'function' ? config() : config, options);
    time = new FakeTime(server.clock);
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((c) => c.close()));
  });
  afterAll(async () => {
    await server?.close();
  });
  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('withStack: the server starts in beforeAll');
    return value;
  };
  return {
    get server() {
      return started(server);
    },
    get time() {
      return started(time);
    },
    client({ net = new SwitchableNetwork(), dataDir = tempDir(), live, on } = {}) {
      const target = on ?? started(server);
      const clockOf = on && on !== server ? new FakeTime(on.clock) : started(time);
      const c = newClient(target, clockOf, net, dataDir, live);
      open.push(c);
      return c;
    },
    async close(client) {
      const i = open.indexOf(client);
      if (i >= 0) open.splice(i, 1);
      await client.close();
    },
    anotherWriter: (userId, set) =>
      raw(started(server), 'PATCH', `/admin/v1/users/${userId}/custom-data`, {
        headers: { 'x-admin-key': ADMIN_KEY, 'content-type': 'application/json' },
        body: JSON.stringify({ set }),
      }),
  };
}
