/**
 * The connection loop on its own, on injected time (FakeTime: nothing runs until the test moves
 * the clock): when it tries again, what it shows, and — wired to a real outbox and transport
 * against the in-process fake backend, as assemble-parts.ts wires them — that a failing server or a
 * dropped connection delays edits but never loses or repeats one. No server, no MongoDB.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { detectConflicts } from '../../../sync/client/conflicts.js';
import { ConnectionLoop } from '../../../sync/client/connection.js';
import { Outbox } from '../../../sync/client/outbox.js';
import { plainSecretStore } from '../../../sync/client/ports.js';
import { LocalStore } from '../../../sync/client/sqlite/local-store.js';
import { HttpError, NetworkError } from '../../../sync/client/transport.js';
import { APPLY_EDITS_FUNCTION, type EditBatchResult } from '../../../sync/protocol/index.js';
import { FakeTime, tempDir } from '../../helpers/client.js';
import { FakeBackend } from '../../helpers/fake-backend.js';
import { ManualClock } from '../../helpers/server.js';

type State = ConnectionLoop['state'];
const closers: (() => void)[] = [];
afterEach(() => {
  for (const close of closers.splice(0)) close();
});

/** A loop whose probe, flush and reconnect step are the test's: `probeFails` queues probe failures. */
function bareLoop(random = 0.5) {
  const time = new FakeTime(new ManualClock(1_700_000_000_000));
  const abort = new AbortController();
  closers.push(() => abort.abort());
  const world = {
    probes: 0,
    probeFails: [] as unknown[],
    edits: false,
    forcedOffline: false,
    flushes: 0,
    usableInFlush: false,
    reconnects: 0,
    onlines: 0,
    offlines: 0,
    states: [] as State[],
  };
  const loop: ConnectionLoop = new ConnectionLoop({
    clock: time,
    timers: time,
    random: () => random,
    signal: abort.signal,
    probe: async () => {
      world.probes += 1;
      const failure = world.probeFails.shift();
      if (failure) throw failure;
    },
    forcedOffline: () => world.forcedOffline,
    hasEditsToSend: () => world.edits,
    canSend: () => true,
    flush: async () => {
      world.flushes += 1;
      world.usableInFlush = loop.usable;
    },
    onReconnect: async () => {
      world.reconnects += 1;
    },
    onOnline: () => {
      world.onlines += 1;
    },
    onOffline: () => {
      world.offlines += 1;
    },
    changed: () => {
      if (world.states.at(-1) !== loop.state) world.states.push(loop.state);
    },
    log: () => {},
  });
  /** Moves the clock and waits for the attempt it started (if any) to finish. */
  const advance = async (ms: number) => {
    time.advance(ms);
    await loop.pending;
  };
  /** Milliseconds until the next automatic attempt. */
  const nextIn = () => (loop.retryAt === null ? null : loop.retryAt - time.now());
  return { loop, time, abort, world, advance, nextIn };
}

const dropped = () => new NetworkError('fetch failed');

describe('ConnectionLoop', () => {
  it('starts "connecting"; a probe that answers makes it online and runs the reconnect step, nothing scheduled', async () => {
    const { loop, world, nextIn } = bareLoop();
    expect(loop.state).toBe('connecting');
    await loop.probeNow();
    expect(loop.state).toBe('online');
    expect(world).toMatchObject({ probes: 1, reconnects: 1, onlines: 1, states: ['online'] });
    expect(nextIn()).toBeNull();
  });

  it('a network failure shows "unreachable" with the error and the next attempt; nothing is tried before it', async () => {
    const { loop, world, advance, nextIn } = bareLoop();
    world.probeFails.push(dropped());
    await loop.probeNow();
    expect(loop.state).toBe('unreachable');
    expect(loop.lastError).toBe('fetch failed');
    expect(nextIn()).toBe(750);

    await advance(749);
    expect(world.probes).toBe(1);
    await advance(1);
    expect(world.probes).toBe(2);
    expect(loop.state).toBe('online');
    expect(loop.lastError).toBeNull();
    expect(world.states).toEqual(['unreachable', 'online']);
    // Online: no further attempt of its own.
    await advance(3_600_000);
    expect(world.probes).toBe(2);
  });

  it.each([
    [0, [500, 1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000]],
    [0.5, [750, 1_500, 3_000, 6_000, 12_000, 24_000, 45_000, 45_000, 45_000]],
    [1, [1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 60_000, 60_000, 60_000]],
  ])(
    'with jitter %d the wait doubles from 1 s (in its upper half) and stops growing at 60 s',
    async (random, expected) => {
      const { loop, world, advance, nextIn } = bareLoop(random);
      const waits: (number | null)[] = [];
      world.probeFails.push(...expected.map(dropped));
      await loop.probeNow();
      for (let i = 0; i < expected.length; i++) {
        const wait = nextIn();
        waits.push(wait);
        await advance(wait ?? 0);
      }
      expect(waits).toEqual(expected);
      expect(world.probes).toBe(expected.length + 1);
      expect(loop.state).toBe('online');
    },
  );

  it('after a success the wait starts over at 1 s', async () => {
    const { loop, world, advance, nextIn } = bareLoop();
    world.probeFails.push(dropped(), dropped(), dropped(), dropped());
    await loop.probeNow();
    for (let i = 0; i < 3; i++) await advance(nextIn() ?? 0);
    expect(nextIn()).toBe(6_000);
    // A batch or a renewal got through (the outbox's and the session's `succeeded`).
    loop.resetBackoff();
    await advance(nextIn() ?? 0);
    expect(loop.state).toBe('online');
    world.probeFails.push(dropped());
    loop.goneOffline();
    expect(nextIn()).toBe(750);
  });

  it('"retry now" probes at once, cancels the scheduled attempt and starts the wait over', async () => {
    const { loop, world, advance, nextIn } = bareLoop();
    world.probeFails.push(dropped(), dropped());
    await loop.probeNow();
    await advance(nextIn() ?? 0);
    expect(nextIn()).toBe(1_500);

    await loop.notifyOnline();
    expect(world.probes).toBe(3);
    expect(loop.state).toBe('online');
    // The attempt that was scheduled is gone.
    await advance(60_000);
    expect(world.probes).toBe(3);
    // The next loss waits 1 s again, not 4 s.
    world.probeFails.push(dropped());
    loop.goneOffline();
    expect(nextIn()).toBe(750);
  });

  it('one probe at a time: asking again while one is under way sends no second one', async () => {
    const { loop, world } = bareLoop();
    const first = loop.probeNow();
    const second = loop.probeNow();
    expect(second).toBe(first);
    await Promise.all([first, second]);
    expect(world.probes).toBe(1);
  });

  it('the tester\'s switch says offline: shown as "offline", no attempt scheduled, none made', async () => {
    const { loop, world, advance } = bareLoop();
    await loop.probeNow();
    world.forcedOffline = true;
    loop.goneOffline();
    expect(loop.state).toBe('offline');
    expect(loop.retryAt).toBeNull();
    await advance(3_600_000);
    expect(world.probes).toBe(1);

    world.forcedOffline = false;
    await loop.notifyOnline();
    expect(world.probes).toBe(2);
    expect(world.states).toEqual(['online', 'offline', 'online']);
  });

  it('the host says offline: shown as "offline" (not "unreachable"), still tried on the backoff', async () => {
    const { loop, world, advance, nextIn } = bareLoop();
    await loop.probeNow();
    world.probeFails.push(dropped());
    loop.notifyOffline();
    expect(loop.state).toBe('offline');
    expect(world.offlines).toBe(1);
    await advance(nextIn() ?? 0);
    expect(world.probes).toBe(2);
    expect(loop.state).toBe('offline');
    // The host sees the network back: at once, shown online.
    await loop.notifyOnline();
    expect(world.probes).toBe(3);
    expect(loop.state).toBe('online');
  });

  it('a failing server (5xx) shows "failing" with its error; a probe that answers does not clear it, a request that gets through does', async () => {
    const { loop, world, advance, nextIn } = bareLoop();
    await loop.probeNow();
    loop.serverFailing(new HttpError(500, 'InternalServerError', 'backend failing'), 'backend failing');
    expect(loop.state).toBe('failing');
    expect(loop.lastError).toBe('backend failing');
    expect(nextIn()).toBe(750);
    await advance(750);
    expect(world.probes).toBe(2);
    expect(loop.state).toBe('failing');

    await loop.online(async () => 'ok');
    expect(loop.state).toBe('online');
    expect(loop.lastError).toBeNull();
    expect(world.states).toEqual(['online', 'failing', 'online']);
  });

  it('back online through a request: the scheduled attempt is cancelled and no retry time is left', async () => {
    const { loop, world, advance, nextIn } = bareLoop();
    world.probeFails.push(dropped());
    await loop.probeNow();
    expect(nextIn()).toBe(750);
    await loop.online(async () => 'ok');
    expect(loop.state).toBe('online');
    expect(nextIn()).toBeNull();
    await advance(60_000);
    expect(world.probes).toBe(1);
  });

  it('with edits waiting, the attempt sends them (the batch is the probe): no separate probe', async () => {
    const { loop, world, advance, nextIn } = bareLoop();
    world.probeFails.push(dropped());
    await loop.probeNow();
    world.edits = true;
    expect(loop.usable).toBe(false);
    await advance(nextIn() ?? 0);
    expect(world.probes).toBe(1);
    expect(world.flushes).toBe(1);
    // Sent although the loop still says "unreachable": the send decides.
    expect(world.usableInFlush).toBe(true);
  });

  it('an answer to a request sent before the connection was lost does not bring it back', async () => {
    const { loop } = bareLoop();
    await loop.probeNow();
    let answer!: () => void;
    const call = loop.online(() => new Promise<void>((resolve) => (answer = resolve)));
    loop.notifyOffline();
    answer();
    await call;
    expect(loop.state).toBe('offline');
  });

  it('closing stops the loop: a scheduled attempt never runs', async () => {
    const { loop, world, abort, advance, nextIn } = bareLoop();
    world.probeFails.push(dropped());
    await loop.probeNow();
    expect(nextIn()).toBe(750);
    abort.abort();
    await advance(3_600_000);
    expect(world.probes).toBe(1);
  });
});

/** The loop, a real outbox on SQLite and the real transport against the fake backend, wired as assemble-parts.ts does. */
function engine() {
  const backend = new FakeBackend();
  const time = new FakeTime(new ManualClock(1_700_000_000_000));
  const abort = new AbortController();
  const store = new LocalStore(join(tempDir(), 'db.sqlite'), plainSecretStore);
  closers.push(() => {
    abort.abort();
    store.close();
  });
  const transport = backend.transport();
  const user = 'user-1';
  const states: State[] = [];
  const canSync = () => connection.usable;
  const connection: ConnectionLoop = new ConnectionLoop({
    clock: time,
    timers: time,
    random: () => 1,
    signal: abort.signal,
    probe: () => transport.probe(),
    forcedOffline: () => transport.forcedOffline,
    hasEditsToSend: () => outbox.pendingCount(user) > 0,
    canSend: () => true,
    flush: () => outbox.flush(),
    onReconnect: async () => {
      if (canSync()) await outbox.flush();
    },
    onOnline: () => {},
    onOffline: () => {},
    changed: () => {
      if (states.at(-1) !== connection.state) states.push(connection.state);
    },
    log: () => {},
  });
  let snapshot: Record<string, unknown> = {};
  const outbox: Outbox = new Outbox({
    store,
    now: () => time.now(),
    signal: abort.signal,
    userId: () => user,
    canSync,
    snapshot: () => snapshot,
    conflictsOf: detectConflicts,
    push: async (_userId, batch) =>
      (await connection.online(() =>
        transport.callFunction('token', APPLY_EDITS_FUNCTION, [{ deviceId: 'device-0001', ...batch }]),
      )) as EditBatchResult,
    confirmed: (userId, data) => {
      snapshot = data;
      store.dropAcked(userId, store.maxAckedSeq(userId));
    },
    reload: () => {},
    renewAfterAck: async () => {},
    failing: (error) => connection.serverFailing(error, error.message),
    succeeded: () => {
      connection.resetBackoff();
      connection.lastError = null;
    },
    setError: (message) => {
      connection.lastError = message;
    },
    changed: () => {},
    log: () => {},
  });
  /** An edit as the user makes it; resolves once the flush it started (if any) is over. */
  const edit = async (op: 'set' | 'inc', path: string, value: unknown): Promise<number> => {
    const seq = outbox.add(user, op, path, value);
    await Promise.resolve();
    await outbox.inFlight;
    return seq;
  };
  const advance = async (ms: number) => {
    time.advance(ms);
    await connection.pending;
  };
  const nextIn = () => (connection.retryAt === null ? null : connection.retryAt - time.now());
  return { backend, transport, connection, outbox, user, states, edit, advance, nextIn };
}

describe('ConnectionLoop with the outbox', () => {
  it('a server failing with 500: retried on a growing wait, then applied once and in order; the wait starts over after', async () => {
    const { backend, connection, outbox, user, states, edit, advance, nextIn } = engine();
    await connection.probeNow();
    backend.next({ status: 500 }, { status: 500 }, { status: 500 });
    const first = await edit('inc', 'visits', 1);
    expect(connection.state).toBe('failing');
    const waits: (number | null)[] = [];
    for (let i = 0; i < 3; i++) {
      waits.push(nextIn());
      await advance(nextIn() ?? 0);
    }
    // Each attempt re-sends the one batch; the third retry gets through.
    expect(waits).toEqual([1_000, 2_000, 4_000]);
    expect(backend.seqs).toEqual([first, first, first, first]);
    expect(backend.doc).toEqual({ visits: 1 });
    expect(outbox.pendingCount(user)).toBe(0);
    expect(connection.state).toBe('online');
    await advance(3_600_000);
    expect(backend.seqs).toHaveLength(4);

    backend.next({ status: 500 });
    await edit('inc', 'visits', 1);
    expect(nextIn()).toBe(1_000);
    await advance(1_000);
    expect(backend.doc).toEqual({ visits: 2 });
    expect(states).toEqual(['online', 'failing', 'online', 'failing', 'online']);
  });

  it('the connection drops mid-batch: "unreachable", then the same batch again under its seq; the server sees a duplicate', async () => {
    const { backend, connection, outbox, user, states, edit, advance, nextIn } = engine();
    await connection.probeNow();
    backend.next('lost-answer');
    const seq = await edit('inc', 'visits', 5);
    expect(connection.state).toBe('unreachable');
    expect(backend.doc).toEqual({ visits: 5 });
    const later = await edit('inc', 'visits', 1);
    // Not sent while unreachable.
    expect(backend.seqs).toEqual([seq]);

    await advance(nextIn() ?? 0);
    expect(backend.seqs).toEqual([seq, seq, later]);
    expect(backend.doc).toEqual({ visits: 6 });
    expect(outbox.pendingCount(user)).toBe(0);
    expect(states).toEqual(['online', 'unreachable', 'online']);
  });

  it("the tester's switch offline: edits are kept, no request at all, and sent at once when switched back", async () => {
    const { backend, transport, connection, outbox, user, states, edit, advance } = engine();
    await connection.probeNow();
    const probes = backend.probes;
    transport.forcedOffline = true;
    await edit('set', 'color', 'red');
    await edit('set', 'language', 'de');
    await advance(3_600_000);
    expect(connection.state).toBe('offline');
    expect(backend.received).toEqual([]);
    expect(backend.probes).toBe(probes);
    expect(outbox.list(user)).toMatchObject([{ attempts: 0 }, { attempts: 0 }]);

    transport.forcedOffline = false;
    await connection.notifyOnline();
    expect(backend.received).toHaveLength(1);
    expect(backend.doc).toEqual({ color: 'red', language: 'de' });
    expect(states).toEqual(['online', 'offline', 'online']);
  });
});
