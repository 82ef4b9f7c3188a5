/**
 * Many writers on one document at the same moment, on a server that applies each update
 * atomically (mongod, SecantusDB): nothing lost, nothing applied twice.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { CustomDataClient } from '../../../sync/client/index.js';
import { FakeTime, newClient, SwitchableNetwork, settled, tempDir } from '../../helpers/client.js';
import { registerAccount, startTestServer, type TestServer } from '../../helpers/server.js';

let server: TestServer;
let time: FakeTime;
const open: CustomDataClient[] = [];

beforeAll(async () => {
  server = await startTestServer({
    accessTokenTtlSeconds: 600,
    userCreationFunction: 'createCustomUserData',
  });
  time = new FakeTime(server.clock);
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.close()));
});
afterAll(() => server?.close());

function device(): CustomDataClient {
  const c = newClient(server, time, new SwitchableNetwork(), tempDir());
  open.push(c);
  return c;
}

describe('concurrent writers on one document', () => {
  it('two devices of one user writing at the same moment converge', async () => {
    const creds = await registerAccount(server);
    const [laptop, desktop] = [device(), device()];
    await Promise.all([laptop.logIn(creds), desktop.logIn(creds)]);
    await Promise.all([
      laptop.set('favoriteColor', 'red').then(() => laptop.increment('visits')),
      desktop.set('preferredLanguage', 'de').then(() => desktop.increment('visits')),
    ]);
    await Promise.all([settled(laptop), settled(desktop)]);
    await Promise.all([laptop.refreshCustomData(), desktop.refreshCustomData()]);
    expect(laptop.customData).toEqual(desktop.customData);
    expect(laptop.customData).toMatchObject({ favoriteColor: 'red', preferredLanguage: 'de', visits: 2 });
  });

  it('50 devices incrementing one counter at once: every increment lands exactly once', async () => {
    const creds = await registerAccount(server);
    const devices = Array.from({ length: 50 }, device);
    const user = await devices[0]?.logIn(creds);
    await Promise.all(devices.slice(1).map((d) => d.logIn(creds)));
    // Device i adds i + 1: a lost or doubled batch changes the sum, whichever it is.
    await Promise.all(devices.map((d, i) => d.increment('launches', i + 1)));
    await Promise.all(devices.map((d) => settled(d)));
    const doc = await server.customData.findOne({ userId: user?.id });
    expect(doc?.launches).toBe((50 * 51) / 2);
  });
});
