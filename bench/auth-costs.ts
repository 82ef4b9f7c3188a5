/**
 * What each sign-in flow costs: HTTP requests (as realm-web 2.0.1 sends them) and MongoDB
 * commands (driver command monitoring, handshakes left out), one flow at a time on a fresh backend.
 *
 *   MONGODB_URI=mongodb://127.0.0.1:27117/?directConnection=true npm run bench:auth-costs
 */
import { resolve } from 'node:path';
import { SignJWT } from 'jose';
import type { CommandStartedEvent } from 'mongodb';
import * as Realm from 'realm-web';
import { startServer } from '../sync/server/server.js';
import { startSmtp } from '../test/helpers/smtp.js';

const uri = process.env.MONGODB_URI;
if (!uri) throw new Error('set MONGODB_URI (see README: bash test/mongo-server/start-secantus.sh)');
const JWT_SECRET = 'a-signing-secret-for-auth-cost-measure';
const run = `${Date.now()}`;
const smtp = await startSmtp();
const commands: string[] = [];
let requests = 0;

const server = await startServer(
  {
    port: 0,
    mongodbUri: uri,
    appDatabase: `auth-costs-app-${run}`,
    customData: { database: `auth-costs-cud-${run}` },
    functionsDir: resolve('test/fixtures/auth-functions'),
    smtpUrl: smtp.url,
    secrets: { jwtKey: JWT_SECRET },
    logLevel: 'silent',
    authProviders: {
      'anon-user': { name: 'anon-user', type: 'anon-user' },
      'local-userpass': {
        name: 'local-userpass',
        type: 'local-userpass',
        config: {
          autoConfirm: false,
          emailConfirmationUrl: 'https://x.example/confirm',
          resetPasswordUrl: 'https://x.example/reset',
        },
      },
      'api-key': { name: 'api-key', type: 'api-key' },
      'custom-token': {
        name: 'custom-token',
        type: 'custom-token',
        config: {},
        secret_config: { signingKeys: ['jwtKey'] },
      },
      'custom-function': {
        name: 'custom-function',
        type: 'custom-function',
        config: { authFunctionName: 'authFunc' },
      },
    },
  },
  { mongoClientOptions: { monitorCommands: true } },
);
server.app.server.on('request', () => {
  requests += 1;
});
// getMore: only change streams here (watch probes, session views), not the flows' own reads.
const IGNORED = ['hello', 'isMaster', 'ping', 'endSessions', 'saslStart', 'saslContinue', 'getMore'];
server.mongo.client.on('commandStarted', (event: CommandStartedEvent) => {
  if (!IGNORED.includes(event.commandName))
    commands.push(`${event.commandName}:${String(event.command[event.commandName])}`);
});
const app = new Realm.App({ id: server.config.appId, baseUrl: server.url });
const rows: Array<{ flow: string; requests: number; commands: number; detail: string }> = [];
async function measure(flow: string, body: () => Promise<unknown>): Promise<void> {
  requests = 0;
  commands.length = 0;
  await body();
  const counts = new Map<string, number>();
  for (const c of commands) counts.set(c, (counts.get(c) ?? 0) + 1);
  rows.push({
    flow,
    requests,
    commands: commands.length,
    detail: [...counts].map(([c, n]) => (n > 1 ? `${c}×${n}` : c)).join(', '),
  });
}

const email = `costs-${run}@example.com`;
await measure('register (confirmation by mail)', () =>
  app.emailPasswordAuth.registerUser({ email, password: 'password1' }),
);
const confirm = smtp.linkParams(await smtp.next(email));
await measure('confirm (token from the mail)', () => app.emailPasswordAuth.confirmUser(confirm));
await measure('first login (user created)', () =>
  app.logIn(Realm.Credentials.emailPassword(email, 'password1')),
);
await measure('login', () => app.logIn(Realm.Credentials.emailPassword(email, 'password1')));
await measure('send reset mail', () => app.emailPasswordAuth.sendResetPasswordEmail({ email }));
const reset = smtp.linkParams(await smtp.next(email));
await measure('reset password (token from the mail)', () =>
  app.emailPasswordAuth.resetPassword({ ...reset, password: 'password2' }),
);
const user = await app.logIn(Realm.Credentials.emailPassword(email, 'password2'));
let key = '';
await measure('create user API key', async () => {
  key = (await user.apiKeys.create('costs')).key as string;
});
await measure('login with API key', () => app.logIn(Realm.Credentials.apiKey(key)));
const now = Math.floor(Date.now() / 1000);
const jwt = await new SignJWT({ sub: `costs-${run}` })
  .setProtectedHeader({ alg: 'HS256' })
  .setIssuedAt(now)
  .setExpirationTime(now + 600)
  .sign(new TextEncoder().encode(JWT_SECRET));
await measure('custom JWT, first login', () => app.logIn(Realm.Credentials.jwt(jwt)));
await measure('custom JWT, login', () => app.logIn(Realm.Credentials.jwt(jwt)));
await measure('custom function, first login', () =>
  app.logIn(Realm.Credentials.function({ username: `fn-${run}` })),
);
await measure('custom function, login', () =>
  app.logIn(Realm.Credentials.function({ username: `fn-${run}` })),
);
const anon = await app.logIn(Realm.Credentials.anonymous(false));
await app.emailPasswordAuth.registerUser({ email: `link-${email}`, password: 'password1' });
await app.emailPasswordAuth.confirmUser(smtp.linkParams(await smtp.next(`link-${email}`)));
await measure('link e-mail to anonymous', () =>
  anon.linkCredentials(Realm.Credentials.emailPassword(`link-${email}`, 'password1')),
);

console.log('| flow | HTTP requests | MongoDB commands | commands |');
console.log('| --- | --- | --- | --- |');
for (const r of rows) console.log(`| ${r.flow} | ${r.requests} | ${r.commands} | ${r.detail} |`);
for (const db of [server.config.appDatabase, server.config.customData.database])
  await server.mongo.client.db(db).dropDatabase();
await server.close();
await smtp.close();
