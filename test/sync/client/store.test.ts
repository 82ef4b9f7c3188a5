import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { coalesce } from '../../../sync/client/edits.js';
import { LocalStore } from '../../../sync/client/sqlite/store.js';
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
    expect(again.db.pragma('user_version', { simple: true })).toBe(2);
    expect(again.db.pragma('journal_mode', { simple: true })).toBe('wal');
    again.close();
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
    expect(store.takeBatch('u1')?.edits).toHaveLength(1);
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
});
