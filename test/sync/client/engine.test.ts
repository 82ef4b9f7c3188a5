import { describe, expect, it } from 'vitest';
import {
  nextStatus,
  SwitchableNetwork,
  settled,
  tempDir,
  waitForStatus,
  withStack,
} from '../../helpers/client.js';
import { ADMIN_KEY, raw, registerAccount } from '../../helpers/server.js';

const TTL_SECONDS = 60;
const stack = withStack({
  accessTokenTtlSeconds: TTL_SECONDS,
  userCreationFunction: 'createCustomUserData',
});

const registeredUser = () => registerAccount(stack.server);

describe('client engine against the real server', () => {
  it('cold start offline shows the cached data and its age, before any network call', async () => {
    const creds = await registeredUser();
    const dataDir = tempDir();
    const first = stack.client({ dataDir });
    const user = await first.logIn(creds);
    await stack.anotherWriter(user.id, { favoriteColor: 'teal' });
    await first.refreshCustomData();
    await stack.close(first);

    stack.time.advance(5 * 60_000);
    const net = new SwitchableNetwork();
    net.down = true;
    const second = stack.client({ net, dataDir });
    // Synchronously available from disk:
    expect(second.customData?.favoriteColor).toBe('teal');
    expect(second.status.user?.id).toBe(user.id);
    expect(second.staleness().ageMs).toBe(5 * 60_000);
    // The network fails but the host never said "offline": the server is unreachable.
    const offline = await waitForStatus(second, (s) => s.connection === 'unreachable');
    expect(offline.staleness.state).toBe('offline');
    expect(offline.staleness.worstCaseMs).toBeNull();
  });

  it('edits made offline survive a restart, then flush in order and show in the refreshed data', async () => {
    const creds = await registeredUser();
    const dataDir = tempDir();
    const net = new SwitchableNetwork();
    const first = stack.client({ net, dataDir });
    const user = await first.logIn(creds);
    await first.tester.setOffline(true);
    await first.set('favoriteColor', 'red');
    await first.set('preferredLanguage', 'fr');
    await first.set('favoriteColor', 'blue');
    await first.set('address.city', 'Lyon');
    expect(first.view.data.favoriteColor).toBe('blue');
    expect(Object.keys(first.view.pending).sort()).toEqual([
      'address.city',
      'favoriteColor',
      'preferredLanguage',
    ]);
    expect(first.customData?.favoriteColor).toBeUndefined();
    await stack.close(first);

    net.down = true;
    const second = stack.client({ net, dataDir });
    expect(second.status.pendingCount).toBe(4);
    expect(second.view.data).toMatchObject({
      favoriteColor: 'blue',
      preferredLanguage: 'fr',
      address: { city: 'Lyon' },
    });

    net.down = false;
    const requestsBefore = net.requests.length;
    await second.notifyOnline();
    const status = await settled(second);
    expect(status.pendingCount).toBe(0);
    expect(second.customData).toMatchObject({
      favoriteColor: 'blue',
      preferredLanguage: 'fr',
      address: { city: 'Lyon' },
    });
    // Four edits, coalesced into one batch: one function call (the GET is the live watch).
    expect(
      net.requests
        .slice(requestsBefore)
        .filter((r) => r.startsWith('POST ') && r.endsWith('/functions/call')),
    ).toHaveLength(1);
    expect(
      await stack.server.customData.findOne(
        { userId: user.id },
        { projection: { _id: 0, favoriteColor: 1 } },
      ),
    ).toEqual({ favoriteColor: 'blue' });
  });

  it('applies an edit exactly once when the response is lost and the batch is re-sent', async () => {
    const creds = await registeredUser();
    const net = new SwitchableNetwork();
    const c = stack.client({ net });
    const user = await c.logIn(creds);
    await settled(c);
    await c.tester.setOffline(true);
    await c.increment('launches', 1);
    await c.increment('launches', 2);
    net.loseNextResponseTo = /functions\/call$/; // the batch (POST), not the live watch (GET ?baas_request=…)
    await c.tester.setOffline(false);
    // The batch reached the server, its answer did not: the engine cannot know it was applied.
    await waitForStatus(c, (s) => s.connection === 'unreachable' && !s.syncing);
    expect(c.outbox.list().map((e) => [e.inFlight, e.attempts])).toEqual([
      [true, 1],
      [true, 1],
    ]);
    expect((await stack.server.customData.findOne({ userId: user.id }))?.launches).toBe(3);
    await c.increment('launches', 4); // a new edit while the first batch is unacknowledged
    await c.notifyOnline();
    await settled(c);
    const doc = await stack.server.customData.findOne({ userId: user.id });
    expect(doc?.launches).toBe(7);
    expect(c.customData?.launches).toBe(7);
    // The bookkeeping stays out of what users see.
    expect(Object.keys(c.customData ?? {}).some((k) => k.startsWith('_customdataDesk'))).toBe(false);
  });

  it('renews the token before it expires and the renewal brings another writer’s change', async () => {
    const creds = await registeredUser();
    // Without live push (a server without change streams): renewal is what brings changes.
    const c = stack.client({ live: false });
    const user = await c.logIn(creds);
    await settled(c);
    const firstIssued = c.status.token?.issuedAt as number;
    await stack.anotherWriter(user.id, { timezone: 'Asia/Tokyo' });
    expect(c.customData?.timezone).toBeUndefined(); // invisible until renewal
    const renewed = waitForStatus(c, (s) => (s.token?.issuedAt ?? 0) > firstIssued);
    stack.time.advance(TTL_SECONDS * 1000);
    await renewed;
    expect(c.customData?.timezone).toBe('Asia/Tokyo');
    expect(c.status.staleness.state).toBe('fresh');
  });

  it.each([500, 503])(
    'a renewal that fails with %i is retried on the backoff until the backend is back, without user action',
    async (status) => {
      const creds = await registeredUser();
      const net = new SwitchableNetwork();
      const c = stack.client({ net });
      await c.logIn(creds);
      await settled(c);
      const issuedAt = c.status.token?.issuedAt as number;
      net.failing = { to: /auth\/session/, status };
      const failed = waitForStatus(c, (s) => (s.lastError ?? '').length > 0);
      stack.time.advance(TTL_SECONDS * 1000); // past the scheduled renewal, and past expiry
      await failed;
      expect(c.status.session).toBe('active');
      expect(c.status.token?.issuedAt).toBe(issuedAt);
      // Still failing: a few more retries happen on their own, none succeeds.
      const renewals = () => net.requests.filter((r) => r === 'POST /api/client/v2.0/auth/session').length;
      const before = renewals();
      for (let i = 0; i < 3; i++) {
        stack.time.advance(10_000);
        await waitForStatus(c, () => true);
        await new Promise((r) => setImmediate(r));
      }
      expect(renewals()).toBeGreaterThan(before);
      // Back: the next retry renews, the error clears, the data is fresh again.
      net.failing = undefined;
      const renewed = waitForStatus(c, (s) => (s.token?.issuedAt ?? 0) > issuedAt);
      for (let i = 0; i < 10 && (c.status.token?.issuedAt ?? 0) <= issuedAt; i++) {
        stack.time.advance(30_000);
        await new Promise((r) => setImmediate(r));
      }
      const after = await renewed;
      expect(after.session).toBe('active');
      // The renewal itself clears the error and the failing state.
      expect(after.connection).toBe('online');
      expect(after.lastError).toBeNull();
    },
  );

  it('refreshCustomData() shows a server-side change at once; before it the data stays stale', async () => {
    const creds = await registeredUser();
    // Without live push, as on a server without change streams.
    const c = stack.client({ live: false });
    const user = await c.logIn(creds);
    await settled(c);
    await stack.anotherWriter(user.id, { favoriteColor: 'orange' });
    stack.time.advance(10_000);
    expect(c.customData?.favoriteColor).toBeUndefined();
    expect(c.staleness().ageMs).toBe(10_000);
    await c.refreshCustomData();
    expect(c.customData?.favoriteColor).toBe('orange');
    expect(c.staleness().ageMs).toBe(0);
  });

  it('records a conflict with base, server and mine when another writer changed the field', async () => {
    const creds = await registeredUser();
    const c = stack.client();
    const user = await c.logIn(creds);
    await c.set('favoriteColor', 'blue');
    await settled(c);
    await c.tester.setOffline(true);
    await c.set('favoriteColor', 'green');
    await stack.anotherWriter(user.id, { favoriteColor: 'yellow' });
    await c.tester.setOffline(false);
    await settled(c);
    const [conflict] = c.conflicts.list();
    expect(conflict).toMatchObject({
      path: 'favoriteColor',
      base: { exists: true, value: 'blue' },
      server: { exists: true, value: 'yellow' },
      mine: { op: 'set', value: 'green' },
    });
    expect(conflict?.detectedAt).toBe(stack.server.clock.now());
    expect(c.customData?.favoriteColor).toBe('green'); // last writer wins per field
    expect(c.status.conflictCount).toBe(1);
    expect(c.conflicts.dismiss(conflict?.id as number)).toBe(true);
    expect(c.status.conflictCount).toBe(0);
  });

  it('a renewal answered after the tester went offline keeps it offline; back online, the edit made meanwhile is sent', async () => {
    const creds = await registeredUser();
    const net = new SwitchableNetwork();
    const c = stack.client({ net, live: false });
    const user = await c.logIn(creds);
    await settled(c);
    const renewal = net.hold(/auth\/session$/);
    const refreshing = c.refreshCustomData();
    await renewal.reached;
    await c.tester.setOffline(true);
    await c.set('favoriteColor', 'green');
    renewal.release();
    await refreshing;
    // The answer was sent before the switch: it says nothing about the connection now.
    expect(c.status.connection).toBe('offline');
    expect(c.status.pendingCount).toBe(1);
    await c.tester.setOffline(false);
    await settled(c);
    expect((await stack.server.customData.findOne({ userId: user.id }))?.favoriteColor).toBe('green');
  });

  it("while the tester's offline switch is on nothing is attempted; turning it off sends at once", async () => {
    const creds = await registeredUser();
    const net = new SwitchableNetwork();
    const c = stack.client({ net, live: false });
    const user = await c.logIn(creds);
    await settled(c);
    await c.tester.setOffline(true);
    await c.set('favoriteColor', 'green');
    const requestsBefore = net.requests.length;
    stack.time.advance(10 * 60_000);
    expect(net.requests.length).toBe(requestsBefore);
    expect(c.outbox.list().map((e) => [e.attempts, e.inFlight])).toEqual([[0, false]]);
    expect(c.status).toMatchObject({ connection: 'offline', retryAt: null, pendingCount: 1 });
    await c.tester.setOffline(false);
    await settled(c);
    expect((await stack.server.customData.findOne({ userId: user.id }))?.favoriteColor).toBe('green');
  });

  it('an edit whose send was refused before connecting can still be discarded; one that may have arrived cannot', async () => {
    const creds = await registeredUser();
    const net = new SwitchableNetwork();
    const c = stack.client({ net, live: false });
    await c.logIn(creds);
    await settled(c);
    net.refusing = true;
    const seq = await c.set('favoriteColor', 'never-sent');
    await waitForStatus(c, (s) => s.connection === 'unreachable' && !s.syncing);
    // The connection was refused: nothing reached the server, so the edit is not "in flight".
    expect(c.outbox.list().map((e) => [e.inFlight, e.attempts])).toEqual([[false, 0]]);
    expect(c.outbox.list()[0]?.lastError).toMatch(/ECONNREFUSED/);
    expect(c.outbox.discard(seq)).toBe(true);
    expect(c.status.pendingCount).toBe(0);

    // A lost answer is different: the batch may have been applied, so it stays frozen.
    net.refusing = false;
    net.loseNextResponseTo = /functions\/call$/;
    const kept = await c.set('favoriteColor', 'maybe-applied');
    await c.notifyOnline();
    await waitForStatus(c, (s) => s.connection === 'unreachable' && !s.syncing);
    expect(c.outbox.list().map((e) => e.inFlight)).toEqual([true]);
    expect(() => c.outbox.discard(kept)).toThrow(/may already be applied/);
  });

  it('a revoked session pauses the outbox and keeps it; the same user logging in resumes it', async () => {
    const creds = await registeredUser();
    const c = stack.client();
    const user = await c.logIn(creds);
    await settled(c);
    await raw(stack.server, 'POST', `/admin/v1/users/${user.id}/revoke-sessions`, {
      headers: { 'x-admin-key': ADMIN_KEY },
    });
    await c.tester.expireAccessToken();
    const expired = await waitForStatus(c, (s) => s.session === 'expired');
    expect(expired.staleness.state).toBe('session-expired');
    await c.set('favoriteColor', 'purple');
    await c.flush();
    expect(c.status.pendingCount).toBe(1);
    expect(await stack.server.customData.findOne({ userId: user.id, favoriteColor: 'purple' })).toBeNull();

    await c.logIn(creds);
    await settled(c);
    expect(c.customData?.favoriteColor).toBe('purple');
  });

  it("another user's login never sends the previous user's outbox", async () => {
    const alice = await registeredUser();
    const bob = await registeredUser();
    const net = new SwitchableNetwork();
    const c = stack.client({ net });
    const aliceUser = await c.logIn(alice);
    await settled(c);
    net.down = true;
    await c.set('favoriteColor', 'alice-edit');
    await c.logOut(); // offline: ends locally
    net.down = false;
    const bobUser = await c.logIn(bob);
    await c.set('favoriteColor', 'bob-edit');
    await settled(c);
    expect((await stack.server.customData.findOne({ userId: bobUser.id }))?.favoriteColor).toBe('bob-edit');
    expect((await stack.server.customData.findOne({ userId: aliceUser.id }))?.favoriteColor).toBeUndefined();

    await c.logIn(alice);
    await settled(c);
    expect((await stack.server.customData.findOne({ userId: aliceUser.id }))?.favoriteColor).toBe(
      'alice-edit',
    );
  });

  it('a rejected edit is set aside with its reason, visible, and can be discarded', async () => {
    const creds = await registeredUser();
    const c = stack.client();
    await c.logIn(creds);
    await c.set('userId', 'someone-else');
    await waitForStatus(c, (s) => s.rejectedCount === 1 && !s.syncing);
    const [entry] = c.outbox.list();
    expect(entry?.rejectedReason).toMatch(/cannot be edited/);
    expect(c.view.pending.userId).toBeUndefined();
    expect(c.outbox.discard(entry?.seq as number)).toBe(true);
    expect(c.outbox.list()).toEqual([]);
  });

  it('probes with exponential backoff while offline, and at once on notifyOnline()', async () => {
    const net = new SwitchableNetwork();
    net.down = true;
    const c = stack.client({ net });
    await waitForStatus(c, (s) => s.connection === 'unreachable');
    expect(c.status.retryAt).toBe(stack.time.now() + 750);
    const probes = () => net.requests.filter((r) => r.endsWith('/location')).length;
    expect(probes()).toBe(1);
    // random() = 0.5: each wait is 3/4 of 1 s, 2 s, 4 s, 8 s...
    stack.time.advance(749);
    expect(probes()).toBe(1);
    let failed = nextStatus(c);
    stack.time.advance(1);
    expect(probes()).toBe(2);
    expect((await failed).connection).toBe('unreachable');
    failed = nextStatus(c);
    stack.time.advance(1500);
    expect(probes()).toBe(3);
    await failed;
    stack.time.advance(2999);
    expect(probes()).toBe(3);
    net.down = false;
    await c.notifyOnline();
    expect(c.status.connection).toBe('online');
    expect(probes()).toBe(4);
  });

  it('refuses bad input clearly and writes nothing', async () => {
    const creds = await registeredUser();
    const c = stack.client();
    await c.logIn(creds);
    await expect(c.set('$where', 1)).rejects.toThrow(/invalid field path/);
    await expect(c.set('a..b', 1)).rejects.toThrow(/invalid field path/);
    await expect(c.increment('n', Number.NaN)).rejects.toThrow(/finite/);
    await expect(c.logIn({ email: creds.email, password: 'wrong' })).rejects.toMatchObject({ status: 401 });
    expect(c.outbox.list()).toEqual([]);
  });
});
