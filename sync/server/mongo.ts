/**
 * MongoDB connection: MONGODB_URI when given, otherwise an embedded real mongod from
 * mongodb-memory-server-core with its data kept under the data dir (survives restarts).
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { MongoClient } from 'mongodb';

export interface MongoHandle {
  client: MongoClient;
  uri: string;
  embedded: boolean;
  close(): Promise<void>;
}

export async function connectMongo(uri: string | undefined, dataDir: string): Promise<MongoHandle> {
  if (uri) {
    const client = await connect(uri);
    return { client, uri, embedded: false, close: () => client.close() };
  }
  // Imported lazily: production deployments with MONGODB_URI never load it.
  const { MongoMemoryServer } = await import('mongodb-memory-server-core');
  const dbPath = resolve(join(dataDir, 'mongo'));
  mkdirSync(dbPath, { recursive: true });
  let server: InstanceType<typeof MongoMemoryServer>;
  try {
    server = await MongoMemoryServer.create({ instance: { dbPath, storageEngine: 'wiredTiger' } });
  } catch (error) {
    throw new Error(
      `could not start the embedded MongoDB (${(error as Error).message.split('\n')[0]}). ` +
        'It downloads mongod once on first use; without network access set MONGODB_URI to a running server.',
    );
  }
  const embeddedUri = server.getUri();
  const client = await connect(embeddedUri);
  return {
    client,
    uri: embeddedUri,
    embedded: true,
    async close() {
      await client.close();
      await server.stop({ doCleanup: false });
    },
  };
}

async function connect(uri: string): Promise<MongoClient> {
  const client = new MongoClient(uri, { serverSelectionTimeoutMS: 10_000, ignoreUndefined: true });
  await client.connect();
  return client;
}
