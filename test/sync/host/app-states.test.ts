/**
 * One snapshot per engine change (app-states.ts): the command answer and the event stream share
 * it instead of each building its own; several changes in one tick make one snapshot; a
 * command's answer still shows the command's effect. The measured sequence (log in, 10 edits, a
 * refresh) prints the snapshots and SQL statements it took, the numbers quoted in app-states.ts.
 */
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppState } from '../../../sync/app-api/contract.js';
import { CustomDataClient } from '../../../sync/client/index.js';
import { AppStates } from '../../../sync/host/app-states.js';
import { createHandlers } from '../../../sync/host/handlers.js';
import { FakeTime, newClient, SwitchableNetwork, settled, tempDir } from '../../helpers/client.js';
import { ADMIN_KEY, ManualClock, registerAccount, startTestServer } from '../../helpers/server.js';

/** Counts every better-sqlite3 statement run (get, all, run, iterate) in this test process. */
let statements = 0;
const statementProto = Object.getPrototypeOf(new Database(':memory:').prepare('SELECT 1')) as Record<
  string,
  (...args: unknown[]) => unknown
>;
const originals = new Map<string, (...args: unknown[]) => unknown>();
for (const method of ['get', 'all', 'run', 'iterate']) {
  const original = statementProto[method] as (...args: unknown[]) => unknown;
  originals.set(method, original);
  statementProto[method] = function (this: unknown, ...args: unknown[]) {
    statements += 1;
    return original.apply(this, args);
  };
}
afterAll(() => {
  for (const [method, original] of originals) statementProto[method] = original;
});

/** A scheduler the test runs by hand: what the engine changed in one "tick" is one entry. */
function steppedSchedule() {
  const queue: (() => void)[] = [];
  return {
    schedule: (run: () => void) => void queue.push(run),
    runAll: () => {
      while (queue.length) queue.shift()?.();
    },
    get waiting() {
      return queue.length;
    },
  };
}

describe('one snapshot per change, without a server', () => {
  const clock = new ManualClock();
  const time = new FakeTime(clock);
  // Never started: only tester tools that change local state are used, no network.
  const client = new CustomDataClient({
    baseUrl: 'http://127.0.0.1:9',
    appId: 'a',
    dataDir: tempDir(),
    clock: time,
    timers: time,
  });
  afterAll(() => client.close());

  it('N changes build N snapshots, shared by the answers and the events', async () => {
    const step = steppedSchedule();
    const states = new AppStates(client, { adminTools: false, schedule: step.schedule });
    const handlers = createHandlers(client, { baseUrl: 'http://127.0.0.1:9', states });
    const events: AppState[] = [];
    states.subscribe((s) => events.push(s));
    const before = statements;
    for (let i = 1; i <= 5; i++) {
      const answer = await handlers.setClockSkew({ ms: i * 1000 });
      step.runAll();
      if (!answer.ok) throw new Error(answer.error);
      expect(answer.value.status.tester.clockSkewMs).toBe(i * 1000);
      expect(events.at(-1)).toBe(answer.value); // the event is the answer's snapshot
    }
    expect(states.builds).toBe(5); // not 10 (an answer and an event each)
    expect(events).toHaveLength(5);
    expect(statements - before).toBeLessThanOrEqual(5 * 4);
    // Nothing changed: the answer is the cached snapshot, no build, no event.
    const again = await handlers.getState({});
    step.runAll();
    expect(again.ok && again.value).toBe(events.at(-1));
    expect(states.builds).toBe(5);
    expect(events).toHaveLength(5);
    states.close();
  });

  it('several changes in one tick make one snapshot; the answer is never older than its change', async () => {
    const step = steppedSchedule();
    const states = new AppStates(client, { adminTools: false, schedule: step.schedule });
    const handlers = createHandlers(client, { baseUrl: 'http://127.0.0.1:9', states });
    const events: AppState[] = [];
    states.subscribe((s) => events.push(s));
    const first = states.current();
    client.tester.setClockSkew(1);
    client.tester.setClockSkew(2);
    client.tester.setClockSkew(3);
    expect(step.waiting).toBe(1);
    step.runAll();
    expect(states.builds).toBe(2);
    expect(events).toHaveLength(1);
    expect(events[0]?.status.tester.clockSkewMs).toBe(3);
    expect(events[0]?.version).toBeGreaterThan(first.version);

    // The answer comes before the scheduled broadcast: it builds, the broadcast reuses it.
    const answer = await handlers.setClockSkew({ ms: 4 });
    if (!answer.ok) throw new Error(answer.error);
    expect(answer.value.version).toBeGreaterThan(events[0]?.version ?? 0);
    expect(answer.value.status.tester.clockSkewMs).toBe(4);
    step.runAll();
    expect(events.at(-1)).toBe(answer.value);
    expect(states.builds).toBe(3);
    states.close();
  });
});

describe('a typical sequence against the server', () => {
  let server: Awaited<ReturnType<typeof startTestServer>>;
  let client: CustomDataClient;
  beforeAll(async () => {
    server = await startTestServer({ accessTokenTtlSeconds: 600 });
  });
  afterAll(async () => {
    await client?.close();
    await server?.close();
  });

  it('log in, 10 edits, a refresh: one snapshot per coalesced change', async () => {
    const time = new FakeTime(server.clock);
    client = newClient(server, time, new SwitchableNetwork());
    const account = await registerAccount(server);
    await settled(client);
    // The default schedule (setImmediate), counted so the test can wait for the last broadcast.
    let scheduled = 0;
    let drained: (() => void) | undefined;
    const schedule = (run: () => void) => {
      scheduled += 1;
      setImmediate(() => {
        run();
        scheduled -= 1;
        if (scheduled === 0) drained?.();
      });
    };
    const states = new AppStates(client, { adminTools: true, schedule });
    const handlers = createHandlers(client, { baseUrl: server.url, adminKey: ADMIN_KEY, states });
    let changes = 0;
    client.subscribe(() => {
      changes += 1;
    });
    const events: AppState[] = [];
    states.subscribe((s) => events.push(s)); // as Electron's IPC event or a web event stream
    const buildsBefore = states.builds;
    const statementsBefore = statements;

    const logIn = await handlers.logIn(account);
    expect(logIn.ok && logIn.value.status.session).toBe('active');
    await settled(client);
    for (let i = 0; i < 10; i++) {
      const answer = await handlers.set({ path: `f${i % 3}`, value: i });
      if (!answer.ok) throw new Error(answer.error);
      // The answer shows the edit and is not older than any event sent before it.
      expect(answer.value.data[`f${i % 3}`]).toBe(i);
      expect(answer.value.version).toBeGreaterThanOrEqual(events.at(-1)?.version ?? 0);
      await settled(client);
    }
    expect((await handlers.refresh({})).ok).toBe(true);
    await settled(client);
    // The last change's snapshot has gone out as an event.
    if (scheduled > 0)
      await new Promise<void>((resolve) => {
        drained = resolve;
      });

    const builds = states.builds - buildsBefore;
    const sql = statements - statementsBefore;
    console.log(`sequence: ${changes} engine changes, ${builds} snapshots, ${sql} SQL statements`);
    // Before: every answer (12) and every change (one event each) built its own snapshot.
    expect(builds).toBeLessThanOrEqual(changes);
    expect(builds).toBeLessThan(changes + 12);
    expect(new Set(events.map((e) => e.version)).size).toBe(events.length);
    expect(events.at(-1)).toBe(states.current());
    states.close();
  });
});
