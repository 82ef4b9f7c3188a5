/**
 * The engine's live push needs no target: against a backend that keeps custom data under other
 * names (database, collection, owner field, service), an engine opened with no live option
 * subscribes to the server's own custom data stream and gets pushes, with no refused attempt.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClientStatus } from '../../../sync/client/index.js';
import { FakeTime, newClient, SwitchableNetwork, waitForStatus } from '../../helpers/client.js';
import { registerAccount, startTestServer, type TestServer, uniqueDb } from '../../helpers/server.js';

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({
    userCreationFunction: 'createCustomUserData',
    customData: {
      database: uniqueDb('elsewhere'),
      collection: 'profiles',
      userIdField: 'ownerId',
      serviceName: 'atlas-elsewhere',
    },
  });
});
afterAll(() => server?.close());

const isLive = (s: ClientStatus) => s.live.state === 'open' && s.live.confirmedAt !== null;

describe('live push against any backend configuration', () => {
  it('an engine opened with no live target gets live pushes from a backend with non-default custom data names', async () => {
    const net = new SwitchableNetwork();
    const watchAnswers: number[] = [];
    const inner = net.fetch;
    net.fetch = async (url, init) => {
      const response = await inner(url, init);
      if (init?.method === 'GET' && url.includes('/functions/call?')) watchAnswers.push(response.status);
      return response;
    };
    const c = newClient(server, new FakeTime(server.clock), net);
    try {
      const user = await c.logIn(await registerAccount(server));
      await waitForStatus(c, isLive);
      await server.customData.updateOne({ ownerId: user.id }, { $set: { color: 'teal' } });
      await waitForStatus(c, () => c.customData?.color === 'teal');
      expect(c.status.staleness.state).toBe('live');
      // One stream, accepted at once: the server resolved where its custom data is.
      expect(watchAnswers).toEqual([200]);
    } finally {
      await c.close();
    }
  });
});
