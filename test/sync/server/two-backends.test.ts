/**
 * Issue 9: several backend instances behind a load balancer all deliver pushed changes — MongoDB
 * is the only shared state. The engine (sync/client) is subscribed through instance A while the
 * write goes through instance B, or straight to MongoDB: the change reaches it by push.
 */
import { join } from 'node:path';
import * as Realm from 'realm-web';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ClientStatus, CustomDataClient } from '../../../sync/client/index.js';
import { plainSecretStore } from '../../../sync/client/ports.js';
import { LocalStore } from '../../../sync/client/sqlite/local-store.js';
import { FakeTime, newClient, SwitchableNetwork, tempDir, waitForStatus } from '../../helpers/client.js';
import { registerAccount, startTestServer, type TestServer } from '../../helpers/server.js';

let a: TestServer;
let b: TestServer;
let time: FakeTime;
const open: CustomDataClient[] = [];

beforeAll(async () => {
  a = await startTestServer({ userCreationFunction: 'createCustomUserData' });
  b = await startTestServer({ userCreationFunction: 'createCustomUserData' }, { shareWith: a });
  time = new FakeTime(a.clock);
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.close()));
});
afterAll(async () => {
  await b?.close();
  await a?.close();
});

const isLive = (s: ClientStatus) => s.live.state === 'open' && s.live.confirmedAt !== null;

describe('two backend instances on one database', () => {
  it('subscribed through A, written through B (its API) and directly to MongoDB: both arrive by push', async () => {
    expect(b.config.customData.database).toBe(a.config.customData.database);
    expect(b.url).not.toBe(a.url);
    const dataDir = tempDir();
    const net = new SwitchableNetwork();
    const engine = newClient(a, time, net, dataDir);
    open.push(engine);
    const account = await registerAccount(a);
    const user = await engine.logIn(account);
    await waitForStatus(engine, isLive);
    expect(a.watch.stats().subscribers).toBe(1);
    expect(b.watch.stats().subscribers).toBe(0);
    const requestsBefore = net.requests.length;

    // Through instance B's API, as another device of the same user behind the balancer.
    const other = await b.newApp().logIn(Realm.Credentials.emailPassword(account.email, account.password));
    expect(other.id).toBe(user.id);
    await other.callFunction('updateCustomUserData', { color: 'written-through-B' });
    await waitForStatus(engine, () => engine.customData?.color === 'written-through-B');

    // And by another program, with the MongoDB driver.
    await b.customData.updateOne({ userId: user.id }, { $set: { size: 'written-by-driver' } });
    await waitForStatus(engine, () => engine.customData?.size === 'written-by-driver');

    // No renewal or refresh fetched it: the engine sent no request meanwhile (the stream was open).
    expect(net.requests.slice(requestsBefore)).toEqual([]);
    expect(engine.status.staleness.state).toBe('live');
    await open.splice(open.indexOf(engine), 1)[0]?.close();
    const store = new LocalStore(join(dataDir, 'customdata-desk.sqlite'), plainSecretStore);
    const row = store.getCustomData(user.id);
    store.close();
    expect(row?.source).toBe('push');
  });
});
