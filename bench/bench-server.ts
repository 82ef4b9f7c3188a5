/** The backend for a benchmark: its own databases, dropped afterwards; errors exit non-zero. */
import { randomBytes } from 'node:crypto';
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
