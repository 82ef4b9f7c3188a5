// What `npm install` left behind, in words a user can act on. Plain JavaScript so that the
// postinstall step runs it with bare `node`; the launcher and the test setup use it too,
// because with `ignore-scripts` no postinstall runs at all.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(root, 'package.json'));

/** `{ major, minor }` of the npm running this script, when npm runs it. */
function npmVersion() {
  const match = /\bnpm\/(\d+)\.(\d+)/.exec(process.env.npm_config_user_agent ?? '');
  return match ? { major: Number(match[1]), minor: Number(match[2]) } : undefined;
}

/** The allowScripts entry that covers `name@version`, if any: `true`, `false` or undefined. */
export function allowScriptsEntry(name, version) {
  const allow = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).allowScripts ?? {};
  if (Object.hasOwn(allow, `${name}@${version}`)) return allow[`${name}@${version}`];
  if (Object.hasOwn(allow, name)) return allow[name];
  return undefined;
}

function installedVersion(name) {
  try {
    return JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')).version;
  } catch {
    return undefined;
  }
}

/**
 * undefined when better-sqlite3 loads; otherwise one message naming the cause (blocked by
 * allowScripts, install scripts ignored, built for another Node, build failed) and the one
 * command that fixes it.
 */
export function sqliteProblem() {
  let error;
  try {
    const Database = require('better-sqlite3');
    new Database(':memory:').close();
    return undefined;
  } catch (caught) {
    error = caught;
  }
  const version = installedVersion('better-sqlite3');
  return explainSqliteFailure({
    message: String(error?.message ?? error).split('\n')[0],
    version,
    built: existsSync(join(root, 'node_modules/better-sqlite3/build/Release/better_sqlite3.node')),
    ignoreScripts: process.env.npm_config_ignore_scripts === 'true',
    allowed: version ? allowScriptsEntry('better-sqlite3', version) : undefined,
    npmMajor: npmVersion()?.major,
    node: process.version,
  });
}

/** The message for a better-sqlite3 that does not load, from what was found (pure: tested). */
export function explainSqliteFailure({ message, version, built, ignoreScripts, allowed, npmMajor, node }) {
  const rebuild = 'npm rebuild better-sqlite3';
  if (!version) return 'better-sqlite3 is not installed. Fix: npm install';
  if (/NODE_MODULE_VERSION|was compiled against a different Node\.js version/.test(message)) {
    return (
      `better-sqlite3 was built for another Node.js version than this one (${node}), ` +
      `e.g. after switching Node versions. Fix: ${rebuild}`
    );
  }
  if (built) return `better-sqlite3 is built but does not load (${message}). Fix: ${rebuild}`;
  if (ignoreScripts) {
    return (
      'better-sqlite3 was never built: install scripts are switched off (ignore-scripts=true). ' +
      `Fix: ${rebuild} --ignore-scripts=false`
    );
  }
  if (allowed !== true) {
    const by =
      npmMajor === undefined || npmMajor >= 12 ? 'npm 12 skips such scripts' : 'npm 12 would skip it';
    return (
      `better-sqlite3@${version} was never built: package.json's allowScripts does not allow its install ` +
      `script (${by}). Fix: npm install-scripts approve better-sqlite3 && ${rebuild}`
    );
  }
  return (
    'better-sqlite3 was never built: its native build did not run or failed (it needs python3, make and a C++ ' +
    'compiler; without internet access node-gyp also needs Node headers via npm_config_nodedir). ' +
    `Read the install log above, then: ${rebuild}`
  );
}

/** Path of Electron's binary when it is installed, else undefined. */
export function electronBinary() {
  try {
    const path = require('electron');
    return typeof path === 'string' && existsSync(path) ? path : undefined;
  } catch {
    return undefined;
  }
}
