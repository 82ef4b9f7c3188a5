// `npm run dist`: installers with electron-builder. It needs Electron's binary (downloaded by
// `npm install` on a normal machine); where it is missing, say so instead of failing obscurely.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';

let binary;
try {
  binary = createRequire(import.meta.url)('electron');
} catch {
  binary = undefined;
}
if (typeof binary !== 'string' || !existsSync(binary)) {
  console.error(
    [
      'npm run dist: Electron is not installed on this machine (its binary download was skipped or is blocked).',
      'Installers are built where Electron can be downloaded: run `npm install && npm run dist` on a Linux, Windows',
      'or macOS machine, or let CI do it (.github/workflows/installers.yml builds AppImage/deb, NSIS and dmg).',
      'See docs/desktop.md.',
    ].join('\n'),
  );
  process.exit(1);
}
const result = spawnSync('npx', ['electron-builder', ...process.argv.slice(2)], {
  stdio: 'inherit',
  shell: process.platform === 'win32',
});
process.exit(result.status ?? 1);
