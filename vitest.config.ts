import { defineConfig } from 'vitest/config';

// Node ≥ 25 defines a global `localStorage` of its own (undefined without --localstorage-file),
// which would shadow the test DOM's (happy-dom) in renderer tests. Node 20 has no such flag.
const nodeMajor = Number(process.versions.node.split('.')[0]);
const execArgv = nodeMajor >= 22 ? ['--no-experimental-webstorage'] : [];

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    globalSetup: ['test/helpers/global-mongo.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // One MongoDB-wire server for the whole run; each file uses its own databases.
    pool: 'forks',
    execArgv,
  },
});
