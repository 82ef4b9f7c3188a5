import { decodeJwt } from 'jose';
import { ObjectId } from 'mongodb';
import * as Realm from 'realm-web';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newUser, raw, startTestServer, type TestServer } from '../../helpers/server.js';

describe('custom user data in access tokens (the seeds)', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({
      accessTokenTtlSeconds: 60,
      userCreationFunction: 'createCustomUserData',
      loginTriggerFunction: 'stampLastLogin',
    });
  });
  afterAll(() => server?.close());

  const collectionFor = (user: Realm.User) =>
    user.mongoClient('mongodb-atlas').db(server.config.customData.database).collection('custom-user-data');

  it('creates the document at user creation and stamps lastLogin at every login', async () => {
    const app = server.newApp();
    const { user, email, password } = await newUser(app);
    expect(user.customData).toMatchObject({ userId: user.id, createdAt: { $date: expect.anything() } });
    const firstLogin = (user.customData.lastLogin as { $date: { $numberLong: string } }).$date.$numberLong;
    expect(Number(firstLogin)).toBe(server.clock.now());
    server.clock.advance(5_000);
    const again = await app.logIn(Realm.Credentials.emailPassword(email, password));
    expect(Number((again.customData.lastLogin as { $date: { $numberLong: string } }).$date.$numberLong)).toBe(
      server.clock.now(),
    );
    expect(await server.customData.countDocuments({ userId: user.id })).toBe(1);
  });

  it('seed example: update through the data API, stale until refreshCustomData(), then visible', async () => {
    const app = server.newApp();
    const { user } = await newUser(app);
    const collection = collectionFor(user);
    await collection.updateOne({ userId: user.id }, { $set: { favoriteColor: 'pink' } }, { upsert: true });
    expect(user.customData.favoriteColor).toBeUndefined();
    const refreshed = await user.refreshCustomData();
    expect(refreshed.favoriteColor).toBe('pink');
    await collection.updateOne({ userId: app.currentUser?.id }, { $set: { favoriteColor: 'purple' } });
    expect(user.customData.favoriteColor).toBe('pink');
    await user.refreshCustomData();
    expect(user.customData.favoriteColor).toBe('purple');
  });

  it('embeds custom data as canonical EJSON, as Atlas does', async () => {
    const app = server.newApp();
    const { user } = await newUser(app);
    await server.customData.updateOne(
      { userId: user.id },
      { $set: { visits: 13, score: 1.5, born: new Date(0) } },
    );
    const data = await user.refreshCustomData();
    expect(data.visits).toEqual({ $numberInt: '13' });
    expect(data.score).toEqual({ $numberDouble: '1.5' });
    expect(data.born).toEqual({ $date: { $numberLong: '0' } });
    expect(data._id).toEqual({ $oid: expect.stringMatching(/^[0-9a-f]{24}$/) });
  });

  it('exposes the first inserted document (lowest _id) when several match', async () => {
    const app = server.newApp();
    const { user } = await newUser(app);
    await server.customData.deleteMany({ userId: user.id });
    const early = ObjectId.createFromTime(Math.floor(server.clock.now() / 1000) - 100);
    const late = ObjectId.createFromTime(Math.floor(server.clock.now() / 1000) + 100);
    await server.customData.insertOne({ _id: late, userId: user.id, favoriteColor: 'second' });
    await server.customData.insertOne({ _id: early, userId: user.id, favoriteColor: 'first' });
    expect((await user.refreshCustomData()).favoriteColor).toBe('first');
  });

  it('serves the lookup from an index on the user ID field', async () => {
    const indexes = await server.customData.indexes();
    expect(indexes.some((i) => Object.keys(i.key)[0] === 'userId')).toBe(true);
  });

  it('refreshes an expired access token transparently and the new token carries current data', async () => {
    const app = server.newApp();
    const { user } = await newUser(app);
    const before = decodeJwt(user.accessToken as string);
    expect((before.exp as number) - (before.iat as number)).toBe(60);
    await server.customData.updateOne({ userId: user.id }, { $set: { timezone: 'Asia/Tokyo' } });
    server.clock.advance(61_000);
    // The call sees 401 InvalidSession, realm-web refreshes and retries once.
    const result = await collectionFor(user).findOne({});
    expect(result?.timezone).toBe('Asia/Tokyo');
    const after = decodeJwt(user.accessToken as string);
    expect(after.iat).toBeGreaterThan(before.iat as number);
    expect(user.customData.timezone).toBe('Asia/Tokyo');
  });

  it('answers an expired token with 401 InvalidSession "access token expired"', async () => {
    const app = server.newApp();
    const { user } = await newUser(app);
    server.clock.advance(61_000);
    const res = await raw(server, 'GET', '/api/client/v2.0/auth/profile', {
      headers: { authorization: `Bearer ${user.accessToken}` },
    });
    expect(res.status).toBe(401);
    expect(res.body).toEqual({
      error: 'invalid session: access token expired',
      error_code: 'InvalidSession',
    });
  });

  it('recovers from a corrupted access token (bad signature) by refreshing', async () => {
    const app = server.newApp();
    const { user } = await newUser(app);
    const [h, p] = (user.accessToken as string).split('.');
    (user as unknown as { _accessToken: string })._accessToken = `${h}.${p}.c2lnbmF0dXJl`;
    expect(await user.callFunction('updateCustomUserData', { preferredLanguage: 'fr' })).toMatchObject({
      preferredLanguage: 'fr',
    });
  });

  it('a server-side change stays invisible until the next token renewal', async () => {
    const app = server.newApp();
    const { user } = await newUser(app);
    await server.customData.updateOne({ userId: user.id }, { $set: { favoriteColor: 'green' } });
    await collectionFor(user).count({}); // a call with a still-valid token changes nothing
    expect(user.customData.favoriteColor).toBeUndefined();
    server.clock.advance(61_000);
    await collectionFor(user).count({});
    expect(user.customData.favoriteColor).toBe('green');
  });

  it('leaves a too-large document out of the token and logs its size only, never its content', async () => {
    const app = server.newApp();
    const { user } = await newUser(app);
    const secret = `secret-${'x'.repeat(20_000)}`;
    await server.customData.updateOne({ userId: user.id }, { $set: { notes: secret } });
    await user.refreshCustomData();
    const warning = server.logs.find((line) => line.includes('custom user data left out of the token'));
    expect(warning).toBeDefined();
    expect(JSON.parse(warning as string).bytes).toBeGreaterThan(20_000);
    expect(server.logs.join('\n')).not.toContain('secret-x');
  });

  it('never logs passwords, tokens or custom data', async () => {
    const app = server.newApp();
    const { user, password } = await newUser(app, 'a-very-distinct-password');
    await collectionFor(user).updateOne(
      { userId: user.id },
      { $set: { favoriteColor: 'ultraviolet-unique' } },
    );
    await user.refreshCustomData();
    const logs = server.logs.join('\n');
    expect(logs).toContain('"route"');
    for (const needle of [
      password,
      user.accessToken as string,
      user.refreshToken as string,
      'ultraviolet-unique',
    ]) {
      expect(logs).not.toContain(needle);
    }
  });
});

describe('custom user data disabled', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ customData: { enabled: false } });
  });
  afterAll(() => server?.close());

  it('gives every user {} even when a document exists', async () => {
    const app = server.newApp();
    const { user } = await newUser(app);
    await server.customData.insertOne({ userId: user.id, favoriteColor: 'red' });
    expect(await user.refreshCustomData()).toEqual({});
  });
});

describe('read-only rules with the updateCustomUserData system function', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ customData: { rules: 'read-only' } });
  });
  afterAll(() => server?.close());

  it('lets clients read but not write the collection, and edit through the function', async () => {
    const app = server.newApp();
    const { user } = await newUser(app);
    const coll = user
      .mongoClient('mongodb-atlas')
      .db(server.config.customData.database)
      .collection('custom-user-data');
    await expect(
      coll.updateOne({}, { $set: { favoriteColor: 'red' } }, { upsert: true }),
    ).rejects.toMatchObject({
      statusCode: 403,
      errorCode: 'NoMatchingRuleFound',
    });
    const result = await user.callFunction('updateCustomUserData', {
      favoriteColor: 'red',
      dateOfBirth: new Date('1990-05-01'),
    });
    expect(result).toMatchObject({ userId: user.id, favoriteColor: 'red' });
    expect(await coll.findOne({})).toMatchObject({ favoriteColor: 'red' });
    expect((await user.refreshCustomData()).dateOfBirth).toEqual({
      $date: { $numberLong: String(Date.parse('1990-05-01')) },
    });
    await user.callFunction('updateCustomUserData', {}, ['favoriteColor']);
    expect((await user.refreshCustomData()).favoriteColor).toBeUndefined();
  });

  it('never lets the function write another id or the reserved fields', async () => {
    const app = server.newApp();
    const { user } = await newUser(app);
    // The editable-path refusal is one error everywhere: 403 NoMatchingRuleFound, as the data API
    // answers a write to the owner field (this function answered 400 before).
    for (const patch of [{ userId: 'someone-else' }, { _id: 1 }, { $set: { a: 1 } }]) {
      await expect(user.callFunction('updateCustomUserData', patch)).rejects.toMatchObject({
        statusCode: 403,
        errorCode: 'NoMatchingRuleFound',
      });
    }
    expect(await server.customData.countDocuments({ userId: 'someone-else' })).toBe(0);
  });

  it('deletes the caller’s custom data on request', async () => {
    const app = server.newApp();
    const { user } = await newUser(app);
    await user.callFunction('updateCustomUserData', { favoriteColor: 'red' });
    expect(await user.callFunction('deleteCustomUserData')).toEqual({ deletedCount: 1 });
    expect(await user.refreshCustomData()).toEqual({});
  });
});
