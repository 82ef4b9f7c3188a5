/**
 * Many writers on one document at the same moment, on a server that applies each update
 * atomically (mongod, SecantusDB): nothing lost, nothing applied twice.
 */
import { describe, expect, it } from 'vitest';
import type { CustomDataClient } from '../../../sync/client/index.js';
import { settled, withStack } from '../../helpers/client.js';
import { registerAccount } from '../../helpers/server.js';

const stack = withStack({
  accessTokenTtlSeconds: 600,
  userCreationFunction: 'createCustomUserData',
});

const device = (): CustomDataClient => stack.client();

describe('concurrent writers on one document', () => {
  it('two devices of one user writing at the same moment converge', async () => {
    const creds = await registerAccount(stack.server);
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
    const creds = await registerAccount(stack.server);
    const devices = Array.from({ length: 50 }, device);
    const user = await devices[0]?.logIn(creds);
    await Promise.all(devices.slice(1).map((d) => d.logIn(creds)));
    // Device i adds i + 1: a lost or doubled batch changes the sum, whichever it is.
    await Promise.all(devices.map((d, i) => d.increment('launches', i + 1)));
    await Promise.all(devices.map((d) => settled(d)));
    const doc = await stack.server.customData.findOne({ userId: user?.id });
    expect(doc?.launches).toBe((50 * 51) / 2);
  });
});
