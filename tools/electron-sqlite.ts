/**
 * better-sqlite3 for Electron without touching the Node build: tests and web mode load
 * node_modules/better-sqlite3 (Node's ABI); Electron gets its own copy rebuilt for its ABI
 * under .cache/electron-native/<electron version>/, loaded through better-sqlite3's
 * `nativeBinding` option (CUSTOMDATA_DESK_SQLITE_BINDING). Built once per Electron version.
 */
import { cpSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

export async function electronSqliteBinding(root: string): Promise<string> {
  const require = createRequire(join(root, 'package.json'));
  const electronVersion = (require('electron/package.json') as { version: string }).version;
  const dir = join(root, '.cache/electron-native', electronVersion);
  const binding = join(dir, 'node_modules/better-sqlite3/build/Release/better_sqlite3.node');
  if (existsSync(binding)) return binding;
  console.log(`building better-sqlite3 for Electron ${electronVersion} (once)...`);
  mkdirSync(join(dir, 'node_modules'), { recursive: true });
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify({ name: 'electron-native', private: true, dependencies: { 'better-sqlite3': '*' } }),
  );
  cpSync(join(root, 'node_modules/better-sqlite3'), join(dir, 'node_modules/better-sqlite3'), {
    recursive: true,
  });
  const { rebuild } = (await import('@electron/rebuild')) as unknown as {
    rebuild(options: {
      buildPath: string;
      electronVersion: string;
      onlyModules: string[];
      force: boolean;
    }): Promise<void>;
  };
  await rebuild({ buildPath: dir, electronVersion, onlyModules: ['better-sqlite3'], force: true });
  return binding;
}
