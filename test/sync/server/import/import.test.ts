import { cpSync, mkdtempSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as Realm from 'realm-web';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadServerConfig } from '../../../../sync/server/config.js';
import { ImportStopped, importApp, importUsers } from '../../../../sync/server/import/index.js';
import { main } from '../../../../tools/import-app.js';
import { randomEmail, startTestServer, type TestServer, uniqueDb } from '../../../helpers/server.js';

const FIXTURES = 'test/fixtures/app-services';

/** A copy of a fixture export whose database name is unique to this run. */
function exportCopy(name: string, database: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'cdd-export-'));
  cpSync(join(FIXTURES, name), dir, { recursive: true });
  const rewrite = (path: string): void => {
    for (const entry of readdirSync(path)) {
      const file = join(path, entry);
      if (statSync(file).isDirectory()) rewrite(file);
      else writeFileSync(file, readFileSync(file, 'utf8').replaceAll('tasks-db', database));
    }
  };
  rewrite(dir);
  if (database !== 'tasks-db')
    renameSync(
      join(dir, 'data_sources/mongodb-atlas/tasks-db'),
      join(dir, `data_sources/mongodb-atlas/${database}`),
    );
  return dir;
}

let server: TestServer;
let database: string;
let exportDir: string;
let out: string;
let printed: string;
const secrets = { apiTokenSecret: 's3cr3t-token', googleSecret: 'unused' };

beforeAll(async () => {
  database = uniqueDb('tasks');
  exportDir = exportCopy('tasks-app', database);
  out = mkdtempSync(join(tmpdir(), 'cdd-import-'));
  const secretsFile = join(out, 'secrets.json');
  writeFileSync(secretsFile, JSON.stringify(secrets));
  const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
  expect(await main([exportDir, '--out', out, '--secrets', secretsFile])).toBe(0);
  printed = log.mock.calls.map((c) => c.join(' ')).join('\n');
  log.mockRestore();
  const config = loadServerConfig({}, join(out, 'config.json'));
  // The run's MongoDB and databases, not the config's (a real import names its own).
  const { mongodbUri: _uri, dataDir: _dir, ...imported } = config;
  server = await startTestServer({ ...imported, appDatabase: uniqueDb('app'), port: 0 });
});
afterAll(() => server?.close());

describe('npm run import: an exported App Services app', () => {
  it('reports what it imported and every part it did not, by file, with the reason', () => {
    const { report, config } = importApp(exportDir, { secrets });
    expect(config).toMatchObject({
      appId: 'tasks-abcde',
      appName: 'Tasks',
      allowedRequestOrigins: ['https://tasks.example.com'],
      customData: {
        enabled: true,
        database,
        collection: 'profiles',
        userIdField: 'ownerId',
        serviceName: 'mongodb-atlas',
      },
      userCreationFunction: 'onCreate',
      values: { supportEmail: 'help@example.com', apiToken: 's3cr3t-token' },
      environment: { tag: 'production', values: { greeting: 'hello from production' } },
      authTriggers: [{ name: 'onLogin', operationType: 'LOGIN', functionName: 'stampLogin' }],
    });
    expect(Object.keys(config.authProviders ?? {})).toEqual(['anon-user', 'local-userpass', 'api-key']);
    const notImported = Object.fromEntries(report.notImported.map((n) => [n.file, n.reason]));
    expect(notImported).toMatchObject({
      'auth/providers.json#oauth2-google': expect.stringContaining('oauth2-google is not supported'),
      'triggers/nightly.json': 'SCHEDULED triggers are not part of this backend',
      'sync/config.json': 'Device Sync is not part of this backend',
      'graphql/config.json': 'GraphQL is not part of this backend',
      'http_endpoints/config.json': 'HTTPS endpoints are not part of this backend',
      'environments/development.json': expect.stringContaining('not the one imported'),
      [`data_sources/mongodb-atlas/${database}/tasks/schema.json`]: 'schema validation is not enforced here',
    });
    // Every file of the export is accounted for, one way or the other.
    const accounted = new Set([...report.imported.map((l) => l.split(': ')[0]), ...Object.keys(notImported)]);
    const files = (dir: string, base = ''): string[] =>
      readdirSync(dir).flatMap((e) =>
        statSync(join(dir, e)).isDirectory() ? files(join(dir, e), `${base}${e}/`) : [`${base}${e}`],
      );
    for (const file of files(exportDir))
      expect({ file, accounted: accounted.has(file) }).toEqual({ file, accounted: true });
    expect(printed).toContain('not imported');
    expect(printed).toContain('triggers/nightly.json: SCHEDULED triggers are not part of this backend');
  });

  it('registration runs the creation function, login the trigger; customData from the configured collection and field', async () => {
    const app = server.newApp();
    const email = randomEmail();
    await app.emailPasswordAuth.registerUser({ email, password: 'password1' });
    const user = await app.logIn(Realm.Credentials.emailPassword(email, 'password1'));
    await user.refreshCustomData();
    expect(user.customData).toMatchObject({
      ownerId: user.id,
      plan: 'free',
      support: 'help@example.com',
      logins: { $numberInt: '1' },
      lastProvider: 'local-userpass',
    });
  });

  it('functions run unmodified: values, environment, BSON, EJSON; private ones unreachable', async () => {
    const { user } = await login();
    expect(await user.functions.callFunction('greet', 'Ada')).toEqual({
      text: 'hello from production, Ada',
      tag: 'production',
      token: 'present',
      id: 24,
      ejson: '{"a":1}',
    });
    await expect(user.functions.callFunction('internalOnly')).rejects.toMatchObject({
      errorCode: 'FunctionNotFound',
    });
  });

  it('rules hold: own documents only, hidden and read-only fields, no insert; a non-system function sees what its caller may', async () => {
    const a = await login();
    const b = await login();
    const profiles = (u: Realm.User) => u.mongoClient('mongodb-atlas').db(database).collection('profiles');
    const mine = await profiles(a.user).find({});
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({ ownerId: a.user.id, plan: 'free' });
    expect(mine[0]).not.toHaveProperty('secretNote');
    await expect(profiles(a.user).updateOne({}, { $set: { plan: 'pro' } })).rejects.toMatchObject({
      statusCode: 403,
    });
    await expect(
      profiles(a.user).updateOne({ ownerId: b.user.id }, { $set: { nickname: 'x' } }),
    ).rejects.toMatchObject({ statusCode: 403 });
    expect((await profiles(a.user).updateOne({}, { $set: { nickname: 'Ada' } })).modifiedCount).toBe(1);
    await expect(profiles(a.user).insertOne({ ownerId: a.user.id })).rejects.toMatchObject({
      statusCode: 403,
    });
    expect(await profiles(b.user).find({ nickname: 'Ada' })).toEqual([]);

    const tasks = (u: Realm.User) => u.mongoClient('mongodb-atlas').db(database).collection('tasks');
    await tasks(a.user).insertOne({ title: 'write the importer' });
    expect(await tasks(b.user).find({})).toEqual([]);
    expect(await tasks(a.user).count({})).toBe(1);

    const own = (await a.user.functions.callFunction('myProfiles')) as Array<Record<string, unknown>>;
    expect(own.map((p) => p.ownerId)).toEqual([a.user.id]);
    expect(own[0]).not.toHaveProperty('secretNote');
    expect(await a.user.functions.callFunction('allProfiles')).toBeGreaterThanOrEqual(2);
    // Another database or collection without a rule: closed, as on App Services.
    await expect(
      a.user.mongoClient('mongodb-atlas').db(database).collection('other').find({}),
    ).rejects.toMatchObject({
      statusCode: 403,
    });
  });

  it('watch() under the imported rules: own documents only, hidden fields never leave the server', async () => {
    const a = await login();
    const b = await login();
    const stream = a.user
      .mongoClient('mongodb-atlas')
      .db(database)
      .collection('profiles')
      .watch() as AsyncGenerator<Record<string, unknown>>;
    const subscribed = new Promise<void>((resolve) => server.watch.once('subscribed', () => resolve()));
    const next = stream.next();
    await subscribed;
    await server.customData.updateOne({ ownerId: b.user.id }, { $set: { nickname: 'not for a' } });
    await server.customData.updateOne({ ownerId: a.user.id }, { $set: { nickname: 'A', secretNote: 'shh' } });
    const event = (await next).value as {
      fullDocument: Record<string, unknown>;
      updateDescription: { updatedFields: Record<string, unknown> };
    };
    expect(event.fullDocument).toMatchObject({ ownerId: a.user.id, nickname: 'A' });
    expect(event.fullDocument).not.toHaveProperty('secretNote');
    expect(event.updateDescription.updatedFields).toEqual({ nickname: 'A' });
    await stream.return(undefined);
  });

  it('imported users keep their ids: an e-mail user resets the password, then has their custom data back', async () => {
    const users = JSON.parse(readFileSync(join(FIXTURES, 'users.json'), 'utf8'));
    const appDb = server.db.db(server.config.appDatabase);
    const report = await importUsers(users, appDb, { 'local-userpass': 'local-userpass' });
    expect(report).toEqual({
      imported: 2,
      alreadyThere: 0,
      passwordResetRequired: 2,
      skipped: [
        { reason: 'anonymous users (they cannot log in again anywhere)', count: 1 },
        { reason: 'API-key users (keys cannot be exported: make new ones)', count: 1 },
      ],
    });
    expect((await importUsers(users, appDb, {})).alreadyThere).toBe(2);

    const oldId = '64b7f0a1c2d3e4f5a6b7c8d9';
    await server.customData.insertOne({ ownerId: oldId, plan: 'pro', nickname: 'Ada from before' });
    const app = server.newApp();
    await expect(
      app.logIn(Realm.Credentials.emailPassword('ada@example.com', 'new password')),
    ).rejects.toMatchObject({
      statusCode: 401,
      errorCode: 'PasswordResetRequired',
    });
    await app.emailPasswordAuth.callResetPasswordFunction(
      { email: 'ada@example.com', password: 'new password' },
      'blue',
    );
    const ada = await app.logIn(Realm.Credentials.emailPassword('ada@example.com', 'new password'));
    expect(ada.id).toBe(oldId);
    expect(ada.customData).toMatchObject({ nickname: 'Ada from before', plan: 'pro' });

    await app.emailPasswordAuth.callResetPasswordFunction(
      { email: 'gone@example.com', password: 'new password' },
      'blue',
    );
    await expect(
      app.logIn(Realm.Credentials.emailPassword('gone@example.com', 'new password')),
    ).rejects.toMatchObject({
      errorCode: 'UserDisabled',
    });
  });

  it('chooses the role by who asks: an admin (custom data) reaches every project, others their own', async () => {
    const admin = await login();
    const other = await login();
    const projects = (u: Realm.User) => u.mongoClient('mongodb-atlas').db(database).collection('projects');
    await projects(other.user).insertOne({ name: 'mine' });
    expect(await projects(admin.user).find({})).toEqual([]);
    await server.customData.updateOne({ ownerId: admin.user.id }, { $set: { isAdmin: true } });
    await admin.user.refreshCustomData();
    expect((await projects(admin.user).find({})).map((p) => p.name)).toEqual(['mine']);
    expect((await projects(other.user).find({})).map((p) => p.name)).toEqual(['mine']);
    await expect(projects(other.user).find({ owner: admin.user.id })).rejects.toMatchObject({
      statusCode: 403,
    });
  });

  it('stops at a rule it cannot express, naming the file and the reason', () => {
    const dir = exportCopy('unsupported-rule-app', 'tasks-db');
    expect(() => importApp(dir)).toThrow(ImportStopped);
    try {
      importApp(dir);
    } catch (error) {
      expect((error as ImportStopped).file).toBe('data_sources/mongodb-atlas/tasks-db/tasks/rules.json');
      expect((error as ImportStopped).reason).toContain('%%user.data.email');
    }
  });
});

async function login() {
  const app = server.newApp();
  const email = randomEmail();
  await app.emailPasswordAuth.registerUser({ email, password: 'password1' });
  return { user: await app.logIn(Realm.Credentials.emailPassword(email, 'password1')), email };
}
