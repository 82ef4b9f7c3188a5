/**
 * The conflict base of every edit is what the user saw at that path when making it (the view:
 * snapshot + own edits), also now that `set()` remembers view values between edits instead of
 * reading the outbox each time: after discards, another connection's writes, acknowledgements
 * and renewed snapshots, the base is never a stale remembered value.
 */
import { join } from 'node:path';
import { EJSON } from 'bson';
import { describe, expect, it } from 'vitest';
import { CustomDataClient } from '../../../sync/client/index.js';
import { plainSecretStore } from '../../../sync/client/ports.js';
import { LocalStore } from '../../../sync/client/sqlite/local-store.js';
import { readPath } from '../../../sync/protocol/index.js';
import { settled, tempDir, withStack } from '../../helpers/client.js';
import { registerAccount } from '../../helpers/server.js';

const canonical = (value: unknown) => EJSON.stringify(value as never, { relaxed: false });

/** An engine on a data dir whose user is logged in with this snapshot, offline (no server). */
function offlineClient(snapshot: Record<string, unknown>) {
  const dataDir = tempDir();
  const file = join(dataDir, 'customdata-desk.sqlite');
  const seed = new LocalStore(file, plainSecretStore);
  seed.saveSession({
    userId: 'u1',
    provider: 'local-userpass',
    email: 'u1@example.com',
    accessToken: 'a',
    refreshToken: 'r',
    state: 'active',
    updatedAt: 0,
  });
  seed.saveCustomData({
    userId: 'u1',
    dataEJSON: canonical(snapshot),
    issuedAt: 0,
    expiresAt: 1,
    fetchedAt: 0,
    source: 'login',
  });
  seed.setMeta('current_user', 'u1');
  seed.close();
  const client = new CustomDataClient({
    baseUrl: 'http://127.0.0.1:9',
    appId: 'app',
    dataDir,
    fetch: async () => {
      throw new TypeError('fetch failed');
    },
  });
  return { client, file };
}

describe('conflict bases of edits made offline', () => {
  it('each base is the view value at the path when the edit was made, whatever came between', async () => {
    const { client, file } = offlineClient({ a: { b: 1, c: 'x' }, n: 5, s: 'text', d: 1.5 });
    await client.tester.setOffline(true);
    // Another connection to the same file (as another process would be): its commits change the view.
    const other = new LocalStore(file, plainSecretStore);
    const paths = ['a', 'a.b', 'a.c', 'a.b.d', 'n', 's', 'd', 'x.y', 'x'];
    const values: unknown[] = [7, 2.5, -0, 'v', null, true, { b: 3, e: [1, 2] }, { d: { z: 1 } }, [1, 'two']];
    let seed = 12345;
    // mulberry32: a fixed sequence, so a failure repeats.
    const random = (n: number): number => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * n);
    };
    const expected = new Map<number, string | null>();
    const edit = async (path: string, roll: number) => {
      const seen = readPath(client.view.data, path);
      const base = seen.exists ? canonical(seen.value) : null;
      let seq: number;
      if (roll < 8) seq = await client.increment(path, roll % 2 === 0 ? 2 : 0.5);
      else if (roll < 10) seq = await client.unset(path);
      else seq = await client.set(path, values[random(values.length)]);
      expected.set(seq, base);
    };
    for (let i = 0; i < 600; i++) {
      const path = paths[random(paths.length)] as string;
      const roll = random(20);
      if (roll === 0) {
        // The newest pending edit leaves the view; then the same field (or a relative) is edited.
        const newest = client.outbox.list().at(-1);
        if (newest && client.outbox.discard(newest.seq)) expected.delete(newest.seq);
        await edit(random(2) === 0 ? (newest?.path ?? path) : path, random(20));
      } else if (roll === 1) {
        // The other connection edits a field; then this engine edits it (bases of its edits are not under test).
        other.addEdit({
          userId: 'u1',
          path,
          op: 'set',
          valueEJSON: canonical(i),
          baseExists: false,
          baseEJSON: null,
          createdAt: 0,
        });
        await edit(path, random(20));
      } else await edit(path, roll);
    }
    await client.close();
    for (const [seq, base] of expected) {
      const row = other.getEdit(seq);
      expect({ seq, base: row?.baseEJSON ?? null }).toEqual({ seq, base });
    }
    // Most of the 600 steps are edits; a few discards and foreign writes.
    expect(expected.size).toBeGreaterThan(450);
    other.close();
  });
});

describe('conflict bases across acknowledgements and renewals', () => {
  const stack = withStack({
    accessTokenTtlSeconds: 600,
    userCreationFunction: 'createCustomUserData',
  });

  it('an edit after a renewal brought another writer’s value has that value as its base', async () => {
    const c = stack.client();
    const user = await c.logIn(await registerAccount(stack.server));
    await c.set('favoriteColor', 'blue');
    await settled(c);
    await c.tester.setOffline(true);
    await c.set('favoriteColor', 'green');
    await c.tester.setOffline(false);
    await settled(c);
    expect(c.customData?.favoriteColor).toBe('green');
    // Another writer; the renewal brings its value into the snapshot.
    await stack.anotherWriter(user.id, { favoriteColor: 'yellow' });
    await c.refreshCustomData();
    expect(c.view.data.favoriteColor).toBe('yellow');
    await c.tester.setOffline(true);
    await c.set('favoriteColor', 'red');
    await stack.anotherWriter(user.id, { favoriteColor: 'purple' });
    await c.tester.setOffline(false);
    await settled(c);
    expect(c.conflicts.list()).toMatchObject([
      {
        path: 'favoriteColor',
        base: { exists: true, value: 'yellow' },
        server: { exists: true, value: 'purple' },
        mine: { op: 'set', value: 'red' },
      },
    ]);
  });
});
