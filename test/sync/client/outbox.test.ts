/**
 * The outbox on its own: the real SQLite store in a temp dir, the real transport, and an
 * in-process fake backend (test/helpers/fake-backend.ts) instead of a server. Whatever fails
 * when, an edit is never lost and never applied twice, and edits reach the server in order.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { detectConflicts } from '../../../sync/client/conflicts.js';
import { Outbox } from '../../../sync/client/outbox.js';
import { plainSecretStore } from '../../../sync/client/ports.js';
import { LocalStore } from '../../../sync/client/sqlite/local-store.js';
import type { HttpError } from '../../../sync/client/transport.js';
import { APPLY_EDITS_FUNCTION, type EditBatchResult } from '../../../sync/protocol/index.js';
import { tempDir } from '../../helpers/client.js';
import { FakeBackend } from '../../helpers/fake-backend.js';

const USER = 'user-1';
const stores: LocalStore[] = [];

afterEach(() => {
  for (const store of stores.splice(0)) if (store.db.open) store.close();
});

/** One outbox on the SQLite file `file`, wired the way assemble-parts.ts wires it, minus the session and the loop. */
function openOutbox(backend: FakeBackend, file = join(tempDir(), 'db.sqlite')) {
  const store = new LocalStore(file, plainSecretStore);
  stores.push(store);
  const transport = backend.transport();
  const seen = { failing: [] as HttpError[], succeeded: 0, errors: [] as string[] };
  const link = { online: true, snapshot: {} as Record<string, unknown> };
  const outbox = new Outbox({
    store,
    now: () => 1_700_000_000_000,
    signal: new AbortController().signal,
    userId: () => USER,
    canSync: () => link.online,
    snapshot: () => link.snapshot,
    conflictsOf: detectConflicts,
    push: async (_userId, batch) =>
      (await transport.callFunction('access-token', APPLY_EDITS_FUNCTION, [
        { deviceId: 'device-0001', ...batch },
      ])) as EditBatchResult,
    confirmed: (userId, data) => {
      link.snapshot = data;
      store.dropAcked(userId, store.maxAckedSeq(userId));
    },
    reload: () => {},
    renewAfterAck: async () => {},
    failing: (error) => seen.failing.push(error),
    succeeded: () => {
      seen.succeeded += 1;
    },
    setError: (message) => seen.errors.push(message),
    changed: () => {},
    log: () => {},
  });
  /** Commits edits while nothing may be sent, so the test decides when the flush runs. */
  const queue = (edits: [op: 'set' | 'unset' | 'inc', path: string, value?: unknown][]): number[] => {
    const was = link.online;
    link.online = false;
    try {
      return edits.map(([op, path, value]) => outbox.add(USER, op, path, value));
    } finally {
      link.online = was;
    }
  };
  return { outbox, store, file, seen, link, queue };
}

describe('Outbox with a fake backend', () => {
  it('sends queued edits in order as one batch under the highest seq; acknowledged edits leave the outbox', async () => {
    const backend = new FakeBackend();
    const { outbox, queue, link } = openOutbox(backend);
    const seqs = queue([
      ['set', 'color', 'red'],
      ['inc', 'visits', 1],
      ['set', 'language', 'de'],
      ['inc', 'visits', 2],
    ]);
    expect(outbox.pendingCount(USER)).toBe(4);

    await expect(outbox.flush()).resolves.toBe(true);

    expect(backend.received).toHaveLength(1);
    expect(backend.received[0]?.seq).toBe(seqs[3]);
    expect(backend.received[0]?.ops.map((o) => o.path)).toEqual(['color', 'visits', 'language']);
    expect(backend.doc).toEqual({ color: 'red', visits: 3, language: 'de' });
    expect(outbox.list(USER)).toEqual([]);
    expect(link.snapshot).toEqual(backend.doc);
    // Nothing left: another flush sends nothing.
    await expect(outbox.flush()).resolves.toBe(false);
    expect(backend.received).toHaveLength(1);
  });

  it.each([
    ['the connection drops after the server applied the batch', 'lost-answer'],
    ['the answer comes after the request timed out', 'timeout'],
  ] as const)('%s: kept in flight, re-sent under the same seq and applied once', async (_, fault) => {
    const backend = new FakeBackend();
    const { outbox, queue } = openOutbox(backend);
    const [seq] = queue([['inc', 'visits', 1]]);
    backend.next(fault);

    await expect(outbox.flush()).resolves.toBe(false);
    expect(backend.doc).toEqual({ visits: 1 });
    expect(outbox.list(USER)).toMatchObject([{ seq, attempts: 1, inFlight: true, rejectedReason: null }]);
    expect(outbox.list(USER)[0]?.lastError).toBeTruthy();

    // An edit made meanwhile does not join the frozen batch: it goes after it, under its own seq.
    const [later] = queue([['inc', 'visits', 10]]);
    await expect(outbox.flush()).resolves.toBe(true);

    expect(backend.seqs).toEqual([seq, seq, later]);
    expect(backend.received[1]?.ops).toEqual(backend.received[0]?.ops);
    expect(backend.doc).toEqual({ visits: 11 });
    expect(outbox.list(USER)).toEqual([]);
  });

  it('a request that never left the device is not counted as an attempt, and is sent on the next flush', async () => {
    const backend = new FakeBackend();
    const { outbox, queue } = openOutbox(backend);
    queue([['set', 'color', 'red']]);
    backend.next('not-sent');

    await outbox.flush();
    expect(backend.received).toEqual([]);
    expect(outbox.list(USER)).toMatchObject([{ attempts: 0, inFlight: false }]);

    await outbox.flush();
    expect(backend.doc).toEqual({ color: 'red' });
    expect(outbox.list(USER)).toEqual([]);
  });

  it.each([500, 503, 429])(
    'a %i answer is transient: the batch waits under its seq, later edits wait behind it, then all go in order',
    async (status) => {
      const backend = new FakeBackend();
      const { outbox, queue, seen } = openOutbox(backend);
      const [first] = queue([['set', 'color', 'red']]);
      backend.next({ status, error: 'backend failing' });
      await expect(outbox.flush()).resolves.toBe(false);
      const [second] = queue([['set', 'color', 'blue']]);
      backend.next({ status, error: 'backend failing' });

      await expect(outbox.flush()).resolves.toBe(false);
      // Only the first batch was tried, twice; the second was not sent past it.
      expect(backend.seqs).toEqual([first, first]);
      expect(backend.doc).toEqual({});
      expect(outbox.list(USER)).toMatchObject([
        { seq: first, attempts: 2, inFlight: true, rejectedReason: null },
        { seq: second, attempts: 0, inFlight: false, rejectedReason: null },
      ]);
      // 503 is "unreachable" (a network error for the connection loop), 500 and 429 are the server failing.
      expect(seen.failing.map((e) => e.status)).toEqual(status === 503 ? [] : [status, status]);

      await expect(outbox.flush()).resolves.toBe(true);
      expect(backend.seqs).toEqual([first, first, first, second]);
      expect(backend.doc).toEqual({ color: 'blue' });
      expect(outbox.list(USER)).toEqual([]);
    },
  );

  it('a 4xx refusal sets the batch aside with the reason; the edits after it still go', async () => {
    const backend = new FakeBackend();
    const { outbox, queue, seen, link } = openOutbox(backend);
    const [refused] = queue([['set', 'secret', 'x']]);
    // A first failure freezes the batch, so the next edit is a batch of its own.
    backend.next({ status: 500 });
    await outbox.flush();
    const [accepted] = queue([['set', 'color', 'red']]);
    backend.next({ status: 403, error: 'no rule allows writing secret', code: 'NoMatchingRuleFound' });

    await expect(outbox.flush()).resolves.toBe(true);

    expect(backend.seqs).toEqual([refused, refused, accepted]);
    expect(backend.doc).toEqual({ color: 'red' });
    // Never dropped: visible with the reason, not pending, not in the view.
    expect(outbox.list(USER)).toMatchObject([
      {
        seq: refused,
        path: 'secret',
        rejectedReason: 'no rule allows writing secret',
        inFlight: false,
        attempts: 2,
      },
    ]);
    expect(outbox.pendingCount(USER)).toBe(0);
    expect(outbox.view(USER, link.snapshot).data).toEqual({ color: 'red' });
    expect(seen.errors).toEqual(['edit rejected: no rule allows writing secret']);
    expect(seen.failing.map((e) => e.status)).toEqual([500]);
  });

  it('a crash between sending and the acknowledgement: after reopening, the batch is re-sent under the same seq, applied once', async () => {
    const backend = new FakeBackend();
    const first = openOutbox(backend);
    const [a, b] = first.queue([
      ['inc', 'visits', 1],
      ['set', 'color', 'red'],
    ]);
    backend.next('hang');
    void first.outbox.flush();
    await backend.received$(1);
    expect(backend.doc).toEqual({ visits: 1, color: 'red' });
    // The process dies waiting for the answer.
    first.store.close();

    const second = openOutbox(backend, first.file);
    expect(second.outbox.list(USER).map((e) => e.seq)).toEqual([a, b]);
    await expect(second.outbox.flush()).resolves.toBe(true);

    expect(backend.seqs).toEqual([b, b]);
    expect(backend.received[1]?.ops).toEqual(backend.received[0]?.ops);
    expect(backend.doc).toEqual({ visits: 1, color: 'red' });
    expect(second.outbox.list(USER)).toEqual([]);
  });

  it('an edit committed while offline survives a restart and is sent after it', async () => {
    const backend = new FakeBackend();
    const first = openOutbox(backend);
    first.link.online = false;
    first.outbox.add(USER, 'set', 'color', 'red');
    await first.outbox.flush();
    expect(backend.received).toEqual([]);
    first.store.close();

    const second = openOutbox(backend, first.file);
    expect(second.outbox.list(USER)).toMatchObject([{ path: 'color', value: 'red' }]);
    await second.outbox.flush();
    expect(backend.doc).toEqual({ color: 'red' });
  });

  it('an edit made while a batch is on its way is sent right after it by the same flush', async () => {
    const backend = new FakeBackend();
    const { outbox, queue } = openOutbox(backend);
    const [first] = queue([['set', 'color', 'red']]);
    const flushing = outbox.flush();
    // The first batch is frozen and on its way; this edit arrives during it.
    const second = outbox.add(USER, 'set', 'language', 'de');
    await expect(flushing).resolves.toBe(true);

    expect(backend.seqs).toEqual([first, second]);
    expect(backend.doc).toEqual({ color: 'red', language: 'de' });
    expect(outbox.list(USER)).toEqual([]);
  });
});
