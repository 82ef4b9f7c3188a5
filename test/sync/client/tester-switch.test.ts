/** The tester's offline switch is a state the status shows, not an error (issue 20). */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { FakeTime, newClient, SwitchableNetwork, settled, tempDir } from '../../helpers/client.js';
import { registerAccount, startTestServer, type TestServer } from '../../helpers/server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ userCreationFunction: 'createCustomUserData' });
});
afterAll(() => server?.close());

it('going offline with the switch leaves no error, and Refresh sends nothing and fails nothing', async () => {
  const net = new SwitchableNetwork();
  const c = newClient(server, new FakeTime(server.clock), net, tempDir());
  try {
    await c.logIn(await registerAccount(server));
    await settled(c);
    await c.tester.setOffline(true);
    expect(c.status).toMatchObject({ connection: 'offline', lastError: null, tester: { offline: true } });
    const renewals = () => net.requests.filter((r) => r.includes('/auth/session')).length;
    const before = renewals();
    await expect(c.refreshCustomData()).resolves.toEqual(c.customData);
    expect(renewals()).toBe(before);
    expect(c.status.lastError).toBeNull();
  } finally {
    await c.close();
  }
});
