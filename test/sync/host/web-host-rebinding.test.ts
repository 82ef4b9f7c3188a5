/**
 * Issue 11 (medium): DNS rebinding. A page on attacker.example whose name is rebound to
 * 127.0.0.1 sends `Host: attacker.example:<port>`; it must get nothing from the web host,
 * not even the event stream (email, custom data, pending edits). Bridge requests must also
 * carry the per-launch secret the real page finds in index.html.
 */

import { mkdirSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BRIDGE_TOKEN_HEADER } from '../../../sync/app-api/bridge-token.js';
import { CustomDataClient } from '../../../sync/client/index.js';
import { AppStates } from '../../../sync/host/app-states.js';
import type { Handlers } from '../../../sync/host/handlers.js';
import { startWebHost } from '../../../sync/host/web-host.js';
import { tempDir } from '../../helpers/client.js';

let host: { url: string; close(): Promise<void> };
let client: CustomDataClient;
let port: number;
const calls: string[] = [];

beforeAll(async () => {
  const staticDir = join(tempDir(), 'renderer');
  mkdirSync(staticDir);
  writeFileSync(
    join(staticDir, 'index.html'),
    '<!doctype html><html><head><title>t</title></head><body></body></html>',
  );
  writeFileSync(join(staticDir, 'app.js'), 'console.log(1)');
  // Never started: the host only reads its state; no network is involved.
  client = new CustomDataClient({ baseUrl: 'http://127.0.0.1:9', appId: 'a', dataDir: tempDir() });
  const handlers = new Proxy(
    {},
    {
      get: (_t, name) => async () => {
        calls.push(String(name));
        return { ok: true };
      },
    },
  );
  const states = new AppStates(client, { adminTools: false });
  host = await startWebHost({ states, handlers: handlers as Handlers, staticDir });
  port = Number(new URL(host.url).port);
});
afterAll(async () => {
  await host?.close();
  await client?.close();
});

/** Raw HTTP so the test controls `Host` exactly as a rebinding browser sends it. */
function send(
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: string,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers }, (res) => {
      // The event stream never ends: the first chunk is enough.
      let text = '';
      res.on('data', (chunk) => {
        text += chunk;
        if (res.headers['content-type']?.startsWith('text/event-stream')) {
          req.destroy();
          resolve({ status: res.statusCode ?? 0, text });
        }
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const own = () => `127.0.0.1:${port}`;
async function pageToken(): Promise<string> {
  const res = await send('GET', '/', { host: own() });
  const token = /name="customdata-desk-bridge-token" content="([^"]+)"/.exec(res.text)?.[1];
  if (!token) throw new Error('index.html carries no bridge token');
  return token;
}

describe('web host refuses rebinding and foreign pages', () => {
  it('serves its own page (with the secret) and the event stream to its own page', async () => {
    const token = await pageToken();
    const events = await send('GET', `/bridge/events?token=${token}`, { host: own() });
    expect(events.status).toBe(200);
    expect(events.text).toMatch(/^data: /);
    const post = await send(
      'POST',
      '/bridge/getState',
      {
        host: own(),
        origin: `http://${own()}`,
        'content-type': 'application/json',
        [BRIDGE_TOKEN_HEADER]: token,
      },
      '{}',
    );
    expect(post.status).toBe(200);
  });

  it.each([['/bridge/events?token=TOKEN'], ['/'], ['/index.html'], ['/app.js']])(
    'GET %s with an attacker Host → 403 and no data',
    async (path) => {
      const token = await pageToken();
      const res = await send('GET', path.replace('TOKEN', token), { host: `attacker.example:${port}` });
      expect(res.status).toBe(403);
      expect(res.text).not.toContain(token);
      expect(res.text).not.toMatch(/^data: /);
    },
  );

  it('refuses a foreign Origin even with the right Host', async () => {
    const token = await pageToken();
    const res = await send('GET', `/bridge/events?token=${token}`, {
      host: own(),
      origin: 'http://evil.example',
    });
    expect(res.status).toBe(403);
  });

  it('the event stream and commands need the per-launch secret', async () => {
    expect((await send('GET', '/bridge/events', { host: own() })).status).toBe(403);
    expect((await send('GET', '/bridge/events?token=guess', { host: own() })).status).toBe(403);
    const before = calls.length;
    const post = await send(
      'POST',
      '/bridge/getState',
      { host: own(), origin: `http://${own()}`, 'content-type': 'application/json' },
      '{}',
    );
    expect(post.status).toBe(403);
    expect(calls.length).toBe(before);
  });
});
