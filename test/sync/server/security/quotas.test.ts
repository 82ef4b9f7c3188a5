/**
 * Issue 11 (medium): one user's huge insertMany slowed everyone; nothing limited accounts per
 * address. Limits per request and per user in client-writable collections, and hourly limits
 * per client address on registration and anonymous login, counted in MongoDB so that every
 * instance of a scaled-out backend enforces the same totals.
 */
import * as Realm from 'realm-web';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { raw, startTestServer, type TestServer, uniqueDb } from '../../../helpers/server.js';

let first: TestServer;
let second: TestServer;
const NOTES_DB = uniqueDb('quota-notes');
const OPEN = `${NOTES_DB}.notes`;
beforeAll(async () => {
  const appDatabase = uniqueDb('quota-app');
  const quotas = {
    maxDocumentsPerRequest: 5,
    maxBytesPerRequest: 4096,
    maxDocumentsPerUser: 8,
    registrationsPerAddressPerHour: 3,
    anonymousLoginsPerAddressPerHour: 4,
  };
  // Two instances on the same app database: the counters must be shared.
  first = await startTestServer({ appDatabase, quotas, openCollections: [OPEN] }, { realTime: true });
  second = await startTestServer({ appDatabase, quotas, openCollections: [OPEN] }, { realTime: true });
});
afterAll(async () => {
  await second?.close();
  await first?.close();
});

function insertMany(server: TestServer, token: string, documents: unknown[]) {
  return raw(server, 'POST', `/api/client/v2.0/app/${server.config.appId}/functions/call`, {
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({
      name: 'insertMany',
      service: 'mongodb-atlas',
      arguments: [{ database: NOTES_DB, collection: 'notes', documents }],
    }),
  });
}
const register = (server: TestServer, email: string) =>
  raw(server, 'POST', `/api/client/v2.0/app/${server.config.appId}/auth/providers/local-userpass/register`, {
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password: 'correct horse 1' }),
  });

describe('quotas', () => {
  it('anonymous logins per address are limited across instances; registrations too', async () => {
    const logins = [];
    for (const server of [first, second, first, second, first]) {
      logins.push(
        await raw(
          server,
          'POST',
          `/api/client/v2.0/app/${server.config.appId}/auth/providers/anon-user/login`,
          {
            headers: { 'content-type': 'application/json' },
            body: '{}',
          },
        ).then((r) => r.status),
      );
    }
    expect(logins).toEqual([200, 200, 200, 200, 429]);
    const regs = [];
    for (const [i, server] of [first, second, first, second].entries())
      regs.push((await register(server, `quota-${i}-${Date.now()}@example.com`)).status);
    expect(regs).toEqual([201, 201, 201, 429]);
  });

  it('documents and bytes per request, and documents per user in total (shared by instances)', async () => {
    // The address limits were used up above: start a new window for this user's registration.
    const email = `quota-user-${Date.now()}@example.com`;
    await first.db.db(first.config.appDatabase).collection('rate-limits').deleteMany({});
    expect((await register(first, email)).status).toBe(201);
    const user = await first.newApp().logIn(Realm.Credentials.emailPassword(email, 'correct horse 1'));
    const token = user.accessToken as string;
    const docs = (n: number) => Array.from({ length: n }, (_, i) => ({ i }));

    expect((await insertMany(first, token, docs(6))).status).toBe(429);
    expect((await insertMany(first, token, [{ big: 'x'.repeat(5000) }])).status).toBe(429);
    expect((await insertMany(first, token, docs(5))).status).toBe(200);
    expect((await insertMany(second, token, docs(4))).status).toBe(429); // 9 > 8, counted on the other instance
    expect((await insertMany(second, token, docs(3))).status).toBe(200);
    const stored = await first.db.db(NOTES_DB).collection('notes').countDocuments({});
    expect(stored).toBe(8);
  });
});
