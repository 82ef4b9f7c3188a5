/** The backend for a benchmark: its own databases, dropped afterwards; errors exit non-zero. */
import { randomBytes } from 'node:crypto';
import { type Document, ObjectId } from 'mongodb';
import { hashPassword } from '../sync/server/auth/index.js';
import { type RunningServer, startServer } from '../sync/server/server.js';

export async function withBenchServer(
  prefix: string,
  run: (server: RunningServer) => Promise<void>,
): Promise<void> {
  const suffix = randomBytes(3).toString('hex');
  const server = await startServer({
    port: 0,
    mongodbUri: process.env.MONGODB_URI,
    dataDir: '.data/bench',
    appDatabase: `${prefix}-app-${suffix}`,
    customData: { database: `${prefix}-cud-${suffix}` },
    logLevel: 'error',
  });
  try {
    await run(server);
  } finally {
    for (const db of [server.config.appDatabase, server.config.customData.database]) {
      await server.mongo.client
        .db(db)
        .dropDatabase()
        .catch(() => undefined);
    }
    await server.close();
  }
}

export function runBench(main: () => Promise<void>): void {
  main().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}

/** `count` email/password users (bench-<i>@example.com) with custom data, written directly. */
export async function seedUsers(
  server: RunningServer,
  count: number,
  password: string,
): Promise<{ emails: string[]; userIds: string[] }> {
  const appDb = server.mongo.client.db(server.config.appDatabase);
  const cud = server.mongo.client
    .db(server.config.customData.database)
    .collection(server.config.customData.collection);
  const hash = await hashPassword(password);
  const emails: string[] = [];
  const userIds: string[] = [];
  for (let start = 0; start < count; start += 1000) {
    const users: Document[] = [];
    const creds: Document[] = [];
    const docs: Document[] = [];
    for (let i = start; i < Math.min(count, start + 1000); i++) {
      const _id = new ObjectId();
      const email = `bench-${i}@example.com`;
      const identityId = new ObjectId().toHexString();
      users.push({
        _id,
        type: 'normal',
        identities: [
          {
            id: identityId,
            provider_type: 'local-userpass',
            provider_id: `${'0'.repeat(23)}1`,
            provider_data: { email },
          },
        ],
        data: { email },
        createdAt: new Date(),
      });
      creds.push({
        _id: email,
        passwordHash: hash,
        identityId,
        userId: _id.toHexString(),
        createdAt: new Date(),
      });
      docs.push({
        userId: _id.toHexString(),
        favoriteColor: 'blue',
        preferredLanguage: 'en',
        timezone: 'Europe/Berlin',
        dateOfBirth: new Date('1990-01-01'),
      });
      emails.push(email);
      userIds.push(_id.toHexString());
    }
    await appDb.collection('users').insertMany(users);
    await appDb.collection('credentials').insertMany(creds);
    await cud.insertMany(docs);
  }
  return { emails, userIds };
}
