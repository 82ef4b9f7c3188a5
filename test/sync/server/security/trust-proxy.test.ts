/**
 * Issue 11: per-address limits (registration and anonymous-login quotas, the login throttle) use
 * `request.ip`. Behind a load balancer every client has the balancer's address, unless the
 * backend is told to trust it (`trustProxy`); off by default, X-Forwarded-For is ignored, so a
 * client cannot pick its own address to escape the limits.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadServerConfig } from '../../../../sync/server/config.js';
import { raw, startTestServer, type TestServer } from '../../../helpers/server.js';

let direct: TestServer;
let behindProxy: TestServer;
beforeAll(async () => {
  const quotas = { anonymousLoginsPerAddressPerHour: 2 };
  direct = await startTestServer({ quotas }, { realTime: true });
  // The tests' "load balancer" is on the loopback address.
  behindProxy = await startTestServer({ quotas, trustProxy: '127.0.0.1' }, { realTime: true });
});
afterAll(async () => {
  await behindProxy?.close();
  await direct?.close();
});

const anonLogin = (server: TestServer, forwardedFor: string) =>
  raw(server, 'POST', `/api/client/v2.0/app/${server.config.appId}/auth/providers/anon-user/login`, {
    headers: { 'content-type': 'application/json', 'x-forwarded-for': forwardedFor },
    body: '{}',
  }).then((r) => r.status);

describe('trusted proxy', () => {
  it('is off by default, and configurable from the environment', () => {
    expect(loadServerConfig({}).trustProxy).toBe(false);
    expect(loadServerConfig({ TRUST_PROXY: '10.0.0.0/8, 127.0.0.1' }).trustProxy).toBe(
      '10.0.0.0/8, 127.0.0.1',
    );
    expect(loadServerConfig({ TRUST_PROXY: '1' }).trustProxy).toBe(1);
    expect(loadServerConfig({ TRUST_PROXY: 'false' }).trustProxy).toBe(false);
  });

  it('off: X-Forwarded-For is ignored, so a client cannot change addresses to escape the quota', async () => {
    const statuses = [];
    for (const client of ['203.0.113.1', '203.0.113.2', '203.0.113.3'])
      statuses.push(await anonLogin(direct, client));
    expect(statuses).toEqual([200, 200, 429]);
  });

  it('behind a trusted proxy: each client address has its own quota', async () => {
    const first = [];
    for (let i = 0; i < 3; i++) first.push(await anonLogin(behindProxy, '203.0.113.1'));
    expect(first).toEqual([200, 200, 429]);
    // Another client behind the same balancer is not held by the first one's quota.
    expect(await anonLogin(behindProxy, '203.0.113.2')).toBe(200);
  });
});
