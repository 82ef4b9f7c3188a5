// After install: better-sqlite3 is built for Node's ABI (tests, web mode). electron-builder
// rebuilds it for Electron's ABI when packaging (npmRebuild), and `npm start` runs Electron
// through electron-builder's install-app-deps only when Electron is present. Nothing to do
// here but explain a missing native build clearly.
import { createRequire } from 'node:module';

try {
  const Database = createRequire(import.meta.url)('better-sqlite3');
  new Database(':memory:').close();
} catch (error) {
  console.warn(
    `better-sqlite3 did not load (${error.message.split('\n')[0]}). Run \`npm rebuild better-sqlite3\`.`,
  );
}
