/**
 * Issue 11 (low): ten wrong passwords locked the real owner out for 900 s, while spraying
 * many accounts from one address was never throttled. Now: growing delays per account
 * (capped, so the owner gets in soon after) and per address (spraying), kept in MongoDB.
 */
import * as Realm from 'realm-web';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { registerAccount, startTestServer, type TestServer } from '../../../helpers/server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({
    maxFailedLogins: 3,
    loginWindowSeconds: 900,
    loginMaxAccountDelaySeconds: 8,
  });
});
afterAll(() => server?.close());
afterEach(async () => {
  await server.db.db(server.config.appDatabase).collection('login-failures').deleteMany({});
});

async function attempt(email: string, password: string): Promise<number> {
  try {
    await server.newApp().logIn(Realm.Credentials.emailPassword(email, password));
    return 200;
  } catch (error) {
    return (error as { statusCode: number }).statusCode;
  }
}

describe('failed-login throttling', () => {
  it('delays grow per account (1 s, 2 s, 4 s …) up to a cap, never a long lockout', async () => {
    const { email, password } = await registerAccount(server);
    for (let i = 0; i < 3; i++) expect(await attempt(email, 'wrong password 1')).toBe(401);
    expect(await attempt(email, password)).toBe(429);
    server.clock.advance(1000);
    expect(await attempt(email, 'wrong password 2')).toBe(401); // 4th failure: next wait 2 s
    server.clock.advance(1000);
    expect(await attempt(email, password)).toBe(429);
    server.clock.advance(1000);
    for (let i = 0; i < 6; i++) {
      expect(await attempt(email, 'wrong password 3')).toBe(401);
      server.clock.advance(8000);
    }
    // Ten failures in all: the owner waits at most the cap (8 s), not 900 s.
    expect(await attempt(email, password)).toBe(200);
  });

  it('spraying many accounts from one address is throttled', async () => {
    const accounts = [];
    for (let i = 0; i < 13; i++) accounts.push(await registerAccount(server));
    const statuses = [];
    for (const { email } of accounts) statuses.push(await attempt(email, 'wrong password 1'));
    // 3 × 4 = 12 free failures for one address, then the address waits.
    expect(statuses.slice(0, 12)).toEqual(Array(12).fill(401));
    expect(statuses[12]).toBe(429);
  });

  it('is shared by instances (kept in MongoDB)', async () => {
    const other = await startTestServer({ appDatabase: server.config.appDatabase, maxFailedLogins: 3 });
    try {
      other.clock.ms = server.clock.ms;
      const { email, password } = await registerAccount(server);
      for (let i = 0; i < 3; i++) expect(await attempt(email, 'wrong password 1')).toBe(401);
      const res = await other
        .newApp()
        .logIn(Realm.Credentials.emailPassword(email, password))
        .catch((e) => e);
      expect((res as { statusCode?: number }).statusCode).toBe(429);
    } finally {
      await other.db.close();
      await other.app.close();
      await other.mongo.close();
    }
  });
});
