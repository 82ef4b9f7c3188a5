/**
 * `npm run server`: starts the backend from the environment (and `--config file.json`).
 * Prints one line `listening on <url>` when ready; SIGTERM / SIGINT shut down cleanly.
 */
import { parseArgs } from 'node:util';
import { ConfigError, loadServerConfig } from './config.js';
import { startServer } from './server.js';

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { config: { type: 'string' } }, strict: true });
  const config = loadServerConfig(process.env, values.config);
  const server = await startServer(config);
  process.stderr.write(`database: ${server.mongo.describe}\n`);
  process.stdout.write(`listening on ${server.url}\n`);
  let stopping = false;
  const stop = async (signal: string) => {
    // Repeated signals (Ctrl-C relayed by npm or tsx) must not cut the shutdown short.
    if (stopping) return;
    stopping = true;
    process.stderr.write(`${signal}: shutting down\n`);
    await server.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGHUP', () => void stop('SIGHUP'));
}

main().catch((error: unknown) => {
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`server failed to start: ${message}\n`);
  process.exit(error instanceof ConfigError ? 2 : 1);
});
