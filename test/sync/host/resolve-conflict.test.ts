/**
 * The `resolveConflict` command through the contract's handlers, on the real engine and server:
 * "mine" keeps the applied value, "server" writes the other writer's value back with its type
 * (or removes the field the server did not have); both dismiss the conflict.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CustomDataClient } from '../../../sync/client/index.js';
import { createHandlers } from '../../../sync/host/handlers.js';
import { FakeTime, newClient, SwitchableNetwork, settled } from '../../helpers/client.js';
import { ADMIN_KEY, registerAccount, startTestServer, type TestServer } from '../../helpers/server.js';

let server: TestServer;
let time: FakeTime;
let client: CustomDataClient;
let handlers: ReturnType<typeof createHandlers>;
let userId: string;

beforeAll(async () => {
  server = await startTestServer({ accessTokenTtlSeconds: 600 });
  time = new FakeTime(server.clock);
  client = newClient(server, time, new SwitchableNetwork());
  handlers = createHandlers(client, { baseUrl: server.url, adminKey: ADMIN_KEY });
  userId = (await client.logIn(await registerAccount(server))).id;
});
afterAll(async () => {
  await client?.close();
  await server?.close();
});

/** Edits offline (relaxed EJSON, as the UI sends), lets another writer change the document, reconnects. */
async function conflictOn(mine: Record<string, unknown>, theirs: () => Promise<unknown>) {
  await handlers.setOffline({ offline: true });
  for (const [path, value] of Object.entries(mine))
    expect((await handlers.set({ path, value })).ok).toBe(true);
  await theirs();
  await handlers.setOffline({ offline: false });
  await settled(client);
  return client.conflicts.list();
}
const stored = async (): Promise<Record<string, unknown>> =>
  (await server.customData.findOne({ userId })) ?? {};

describe('resolveConflict', () => {
  it('"server" writes the server value back with its BSON type; "mine" keeps mine', async () => {
    await handlers.set({ path: 'age', value: 1 });
    await handlers.set({ path: 'since', value: { $date: '2020-01-01T00:00:00Z' } });
    await settled(client);
    const conflicts = await conflictOn({ age: 2, since: { $date: '2021-01-01T00:00:00Z' } }, () =>
      server.customData.updateOne({ userId }, { $set: { age: 40, since: new Date('1999-12-31T00:00:00Z') } }),
    );
    expect(conflicts.map((c) => c.path).sort()).toEqual(['age', 'since']);
    const byPath = Object.fromEntries(conflicts.map((c) => [c.path, c.id]));

    const kept = await handlers.resolveConflict({ id: byPath.age as number, keep: 'mine' });
    expect(kept.ok && kept.value.conflicts.map((c) => c.path)).toEqual(['since']);
    const used = await handlers.resolveConflict({ id: byPath.since as number, keep: 'server' });
    expect(used.ok && used.value.conflicts).toEqual([]);
    await settled(client);
    const doc = await stored();
    expect(doc.age).toBe(2);
    expect(doc.since).toEqual(new Date('1999-12-31T00:00:00Z'));
    expect(client.conflicts.list()).toEqual([]);
  });

  it('"server" removes a field the server did not have; an unknown id is an error', async () => {
    await handlers.set({ path: 'mood', value: 'ok' });
    await settled(client);
    const [conflict] = await conflictOn({ mood: 'calm' }, () =>
      server.customData.updateOne({ userId }, { $unset: { mood: '' } }),
    );
    expect(conflict?.server).toEqual({ exists: false });
    expect((await handlers.resolveConflict({ id: conflict?.id as number, keep: 'server' })).ok).toBe(true);
    await settled(client);
    expect('mood' in (await stored())).toBe(false);
    expect(await handlers.resolveConflict({ id: conflict?.id as number, keep: 'server' })).toEqual({
      ok: false,
      error: 'this conflict was already resolved',
    });
    expect((await handlers.resolveConflict({ id: 1, keep: 'both' })).ok).toBe(false);
  });
});
