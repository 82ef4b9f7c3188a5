import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { coalesce } from '../../../sync/client/edits.js';
import { openClient } from '../../../sync/client/index.js';
import { LocalStore } from '../../../sync/client/sqlite/local-store.js';
import { tempDir } from '../../helpers/client.js';

const reversing = {
  encrypt: (s: string) => `enc:${[...s].reverse().join('')}`,
  decrypt: (s: string) => [...s.slice(4)].reverse().join(''),
};

function edit(store: LocalStore, path: string, op: 'set' | 'unset' | 'inc', value?: unknown) {
  return store.addEdit({
    userId: 'u1',
    path,
    op,
    valueEJSON: value === undefined ? null : JSON.stringify(value),
    baseExists: false,
    baseEJSON: null,
    createdAt: 1,
  });
}

describe('LocalStore', () => {
  it('migrates a new file and reopens it at the same schema', () => {
    const file = join(tempDir(), 'db.sqlite');
    new LocalStore(file, reversing).close();
    const again = new LocalStore(file, reversing);
    expect(again.db.pragma('user_version', { simple: true })).toBe(4);
    expect(again.db.pragma('journal_mode', { simple: true })).toBe('wal');
    again.close();
  });

  it("reads the edits that decide a field: from its last set or an ancestor's, descendants included, others not", () => {
    const store = new LocalStore(join(tempDir(), 'db.sqlite'), reversing);
    edit(store, 'a.b', 'set', 1);
    edit(store, 'a.b', 'inc', 2);
    edit(store, 'a', 'set', { b: 5 });
    edit(store, 'ab', 'set', 'not a descendant');
    edit(store, 'a.b', 'inc', 1);
    edit(store, 'a.b.c', 'set', 7);
    edit(store, 'c', 'set', 3);
    expect(store.editsTouching('u1', 'a.b').map((e) => `${e.op} ${e.path}`)).toEqual([
      'set a',
      'inc a.b',
      'set a.b.c',
    ]);
    expect(store.editsTouching('u1', 'c').map((e) => `${e.op} ${e.path}`)).toEqual(['set c']);
    store.close();
  });

  it('stores tokens only through the secret store', () => {
    const store = new LocalStore(join(tempDir(), 'db.sqlite'), reversing);
    store.saveSession({
      userId: 'u1',
      provider: 'local-userpass',
      email: 'a@b.co',
      accessToken: 'access-123',
      refreshToken: 'refresh-456',
      state: 'active',
      updatedAt: 1,
    });
    const raw = store.db.prepare('SELECT access_token, refresh_token FROM sessions').get() as Record<
      string,
      string
    >;
    expect(raw.access_token).toBe('enc:321-ssecca');
    expect(JSON.stringify(raw)).not.toContain('refresh-456');
    expect(store.getSession('u1')?.refreshToken).toBe('refresh-456');
    store.close();
  });

  it('freezes a batch and re-sends it unchanged until acknowledged, even with newer edits', () => {
    const store = new LocalStore(join(tempDir(), 'db.sqlite'), reversing);
    const a = edit(store, 'x', 'set', 1);
    const b = edit(store, 'y', 'inc', 2);
    const first = store.takeBatch('u1');
    expect(first?.batchSeq).toBe(b);
    edit(store, 'x', 'set', 3);
    store.failBatch(first?.batchSeq as number, 'network');
    const again = store.takeBatch('u1');
    expect(again?.batchSeq).toBe(b);
    expect(again?.edits.map((e) => [e.seq, e.attempts])).toEqual([
      [a, 1],
      [b, 1],
    ]);
    store.ackBatch(b, []);
    const next = store.takeBatch('u1');
    expect(next?.edits.map((e) => e.path)).toEqual(['x']);
    expect(store.takeBatch('u2')).toBeUndefined();
    store.close();
  });

  it('keeps acknowledged edits out of the outbox but in the view until a renewal drops them', () => {
    const store = new LocalStore(join(tempDir(), 'db.sqlite'), reversing);
    edit(store, 'x', 'set', 1);
    const batch = store.takeBatch('u1');
    store.ackBatch(batch?.batchSeq as number, []);
    expect(store.edits('u1')).toEqual([]);
    expect(store.counts('u1').pending).toBe(0);
    expect(store.viewEdits('u1').map((e) => [e.path, e.acked])).toEqual([['x', true]]);
    expect(store.takeBatch('u1')).toBeUndefined();
    store.dropAcked('u1', store.maxAckedSeq('u1'));
    expect(store.viewEdits('u1')).toEqual([]);
    store.close();
  });

  it('refuses to discard an edit that is being sent', () => {
    const store = new LocalStore(join(tempDir(), 'db.sqlite'), reversing);
    const seq = edit(store, 'x', 'set', 1);
    store.takeBatch('u1');
    expect(store.discardEdit('u1', seq)).toBe('in-flight');
    const later = edit(store, 'y', 'set', 2);
    expect(store.discardEdit('u1', later)).toBe('discarded');
    store.close();
  });

  it('sets a rejected batch aside with its reason and retries it on request', () => {
    const store = new LocalStore(join(tempDir(), 'db.sqlite'), reversing);
    edit(store, 'userId', 'set', 'x');
    const batch = store.takeBatch('u1');
    store.rejectBatch(batch?.batchSeq as number, 'field cannot be edited');
    expect(store.takeBatch('u1')).toBeUndefined();
    expect(store.edits('u1')[0]).toMatchObject({
      rejectedReason: 'field cannot be edited',
      attempts: 1,
      batchSeq: null,
    });
    expect(store.retryRejected('u1')).toBe(1);
    // Re-queued under a new, higher seq: the server must not take it for an applied duplicate.
    const retried = store.takeBatch('u1');
    expect(retried?.edits).toHaveLength(1);
    expect(retried?.batchSeq).toBeGreaterThan(batch?.batchSeq as number);
    store.close();
  });
});

describe('coalesce', () => {
  const row = (seq: number, path: string, op: 'set' | 'unset' | 'inc', value?: unknown) => ({
    seq,
    userId: 'u',
    path,
    op,
    valueEJSON: value === undefined ? null : JSON.stringify(value),
    baseExists: false,
    baseEJSON: null,
    createdAt: 0,
    attempts: 0,
    lastError: null,
    batchSeq: null,
    rejectedReason: null,
    acked: false,
  });
  it('keeps one operation per field: last set wins, increments add up, inc after set becomes a set', () => {
    const ops = coalesce([
      row(1, 'c', 'set', 'red'),
      row(2, 'n', 'inc', 1),
      row(3, 'c', 'set', 'blue'),
      row(4, 'n', 'inc', 2),
      row(5, 'm', 'set', 10),
      row(6, 'm', 'inc', 5),
      row(7, 'u', 'set', 1),
      row(8, 'u', 'unset'),
    ]);
    expect(ops.map((o) => o.op)).toEqual([
      { op: 'set', path: 'c', value: 'blue' },
      { op: 'inc', path: 'n', value: 3 },
      { op: 'set', path: 'm', value: 15 },
      { op: 'unset', path: 'u' },
    ]);
    expect(ops[0]?.first.seq).toBe(1);
  });

  it('never sends a field together with its sub-fields (MongoDB refuses such an update)', () => {
    const ops = coalesce([
      row(1, 'prefs.font', 'set', 'serif'),
      row(2, 'prefs', 'set', {}),
      row(3, 'prefs.theme', 'set', 'dark'),
      row(4, 'prefs.size', 'inc', 2),
      row(5, 'a', 'unset'),
      row(6, 'a.b', 'set', 1),
    ]);
    expect(ops.map((o) => o.op)).toEqual([
      { op: 'set', path: 'prefs', value: { theme: 'dark', size: 2 } },
      { op: 'set', path: 'a', value: { b: 1 } },
    ]);
  });
});

describe('openClient', () => {
  it('hands ClientOptions.sqliteNativeBinding to the local store: a binding that does not exist fails the open', () => {
    const options = { baseUrl: 'http://127.0.0.1:9', appId: 'app', dataDir: tempDir() };
    expect(() => openClient({ ...options, sqliteNativeBinding: join(tempDir(), 'missing.node') })).toThrow();
    // Without it the package's own binding is used.
    const client = openClient(options);
    return client.close();
  });
});
