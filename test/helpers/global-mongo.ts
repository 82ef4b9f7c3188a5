/**
 * Vitest global setup: a real MongoDB-wire server for the run. MONGODB_URI when set (CI:
 * FerretDB), otherwise an embedded mongod from mongodb-memory-server-core (users' machines).
 */
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    mongodbUri: string;
    runId: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const runId = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
  project.provide('runId', runId);
  if (process.env.MONGODB_URI) {
    project.provide('mongodbUri', process.env.MONGODB_URI);
    return async () => {};
  }
  const { MongoMemoryServer } = await import('mongodb-memory-server-core');
  let server: InstanceType<typeof MongoMemoryServer>;
  try {
    server = await MongoMemoryServer.create();
  } catch (error) {
    throw new Error(
      `No MONGODB_URI and the embedded mongod could not start (${(error as Error).message.split('\n')[0]}). ` +
        'Set MONGODB_URI, or see test/mongo-server/ for the FerretDB recipe used in CI.',
    );
  }
  project.provide('mongodbUri', server.getUri());
  return async () => {
    await server.stop();
  };
}
