import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    globalSetup: ['test/helpers/global-mongo.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // One MongoDB-wire server for the whole run; each file uses its own databases.
    pool: 'forks',
  },
});
