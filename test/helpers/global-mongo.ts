/**
 * Vitest global setup: a real MongoDB-wire server for the run. MONGODB_URI when set (CI:
 * SecantusDB started by .ci/run), otherwise the same embedded default as the backend
 * (sync/server/mongo.ts): a real mongod, else SecantusDB, with throw-away data.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { startEmbeddedMongo } from '../../sync/server/mongo.js';
import { sqliteProblem } from '../../tools/install-check.mjs';

declare module 'vitest' {
  export interface ProvidedContext {
    mongodbUri: string;
    runId: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // A missing native build fails every engine test with the same obscure error: say why once.
  const problem = sqliteProblem();
  if (problem) throw new Error(problem);
  const runId = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
  project.provide('runId', runId);
  if (process.env.MONGODB_URI) {
    project.provide('mongodbUri', process.env.MONGODB_URI);
    return async () => {};
  }
  const dir = mkdtempSync(join(tmpdir(), 'customdata-desk-test-db-'));
  const server = await startEmbeddedMongo(dir, { memory: true });
  console.log(`tests use ${server.describe}`);
  project.provide('mongodbUri', server.uri);
  return async () => {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  };
}
