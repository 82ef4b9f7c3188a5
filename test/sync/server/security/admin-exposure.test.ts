/**
 * Issue 11 (high): the admin API must never be reachable from a web page on another site,
 * and a weak or sample admin key must not start a server.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseServerConfig } from '../../../../sync/server/config.js';
import { ADMIN_KEY, raw, startTestServer, type TestServer } from '../../../helpers/server.js';

let server: TestServer;
let allowing: TestServer;
beforeAll(async () => {
  server = await startTestServer();
  allowing = await startTestServer({ adminAllowedOrigins: ['http://127.0.0.1:9999'] });
});
afterAll(async () => {
  await server?.close();
  await allowing?.close();
});

const adminGet = (target: TestServer, headers: Record<string, string> = {}) =>
  fetch(`${target.url}/admin/v1/users`, { headers: { 'x-admin-key': ADMIN_KEY, ...headers } });

describe('admin API and browsers', () => {
  it('refuses a request carrying a foreign Origin, even with the right key, and sends no CORS headers', async () => {
    const res = await adminGet(server, { origin: 'http://evil.example' });
    expect(res.status).toBe(403);
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    expect(await res.text()).not.toContain('identities');
  });

  it('answers no CORS preflight for admin routes', async () => {
    const res = await fetch(`${server.url}/admin/v1/users`, {
      method: 'OPTIONS',
      headers: {
        origin: 'http://evil.example',
        'access-control-request-method': 'GET',
        'access-control-request-headers': 'x-admin-key',
      },
    });
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    expect(res.headers.get('access-control-allow-headers') ?? '').not.toMatch(/x-admin-key/i);
  });

  it('still serves non-browser clients (no Origin) with the key', async () => {
    expect((await adminGet(server)).status).toBe(200);
  });

  it('client API keeps CORS for realm-web in browsers, without the admin header', async () => {
    const res = await fetch(`${server.url}/api/client/v2.0/app/${server.config.appId}/location`, {
      method: 'OPTIONS',
      headers: { origin: 'http://app.example', 'access-control-request-method': 'GET' },
    });
    expect(res.headers.get('access-control-allow-origin')).toBe('http://app.example');
    expect(res.headers.get('access-control-allow-headers') ?? '').not.toMatch(/x-admin-key/i);
  });

  it('an explicitly allowed origin gets in (with CORS), any other is refused', async () => {
    const ok = await adminGet(allowing, { origin: 'http://127.0.0.1:9999' });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('access-control-allow-origin')).toBe('http://127.0.0.1:9999');
    expect((await adminGet(allowing, { origin: 'http://127.0.0.1:9998' })).status).toBe(403);
    const body = await raw(allowing, 'GET', '/admin/v1/users', {
      headers: { 'x-admin-key': ADMIN_KEY, origin: 'null' },
    });
    expect(body.status).toBe(403);
  });
});

describe('admin key strength', () => {
  it.each([
    ['the old demo key', 'demo-admin-key-change-me'],
    ['a short key', 'Zx8-q2Lp'],
    ['a long key of few characters', 'abababababababababababababababababab'],
    ['a sample value', 'please-change-me-0123456789abcdefghijkl'],
  ])('refuses %s', (_what, adminKey) => {
    expect(() => parseServerConfig({ adminKey })).toThrow(/ADMIN_KEY/);
  });

  it('accepts a random key', () => {
    expect(parseServerConfig({ adminKey: ADMIN_KEY }).adminKey).toBe(ADMIN_KEY);
  });
});
