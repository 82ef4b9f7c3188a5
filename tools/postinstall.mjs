// The project's own postinstall (npm runs a project's own scripts; allowScripts governs only
// dependencies'). Two jobs, neither of which may fail the install:
// 1. Electron's binary. Electron's own download script is denied in allowScripts, because
//    where its host cannot be reached it fails and aborts the whole `npm install`. We run the
//    same script here and tolerate its failure: `npm start` then opens web mode.
// 2. better-sqlite3: check that it loads, and say why not (and the fix) when it does not.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { electronBinary, root, sqliteProblem } from './install-check.mjs';

function installElectron() {
  const script = join(root, 'node_modules/electron/install.js');
  if (!existsSync(script)) return; // a production install without devDependencies
  if (electronBinary()) return;
  if (process.env.ELECTRON_SKIP_BINARY_DOWNLOAD) {
    console.log('customdata-desk: ELECTRON_SKIP_BINARY_DOWNLOAD is set; `npm start` will open web mode.');
    return;
  }
  console.log("customdata-desk: downloading Electron's binary...");
  const result = spawnSync(process.execPath, [script], {
    cwd: join(root, 'node_modules/electron'),
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 15 * 60_000,
  });
  if (result.status === 0 && electronBinary()) {
    console.log('customdata-desk: Electron is installed.');
    return;
  }
  const output = `${result.stderr ?? ''}\n${result.stdout ?? ''}`;
  const reason =
    /(RequestError|Error): [^\n]+/.exec(output)?.[0] ?? result.error?.message ?? `exit code ${result.status}`;
  console.warn(
    `customdata-desk: Electron's binary could not be downloaded (${reason}).\n` +
      '  The install goes on: `npm start` opens the same app in your browser (web mode).\n' +
      '  To get the desktop app later: node node_modules/electron/install.js',
  );
}

installElectron();
const problem = sqliteProblem();
if (problem) console.warn(`customdata-desk: ${problem}`);
