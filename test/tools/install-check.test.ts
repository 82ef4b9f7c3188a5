/** The install check names the real reason better-sqlite3 does not load, and the one fix. */
import { describe, expect, it } from 'vitest';
import { allowScriptsEntry, explainSqliteFailure, sqliteProblem } from '../../tools/install-check.mjs';

const missing = {
  message: 'Could not locate the bindings file. Tried: …',
  version: '12.11.1',
  built: false,
  ignoreScripts: false,
  allowed: true as boolean | undefined,
  npmMajor: 12 as number | undefined,
  node: 'v26.12.1',
};

describe('install check', () => {
  it('finds nothing wrong with the installed build', () => {
    expect(sqliteProblem()).toBeUndefined();
  });

  it('allows exactly the install scripts we need', () => {
    expect(allowScriptsEntry('better-sqlite3', '12.11.1')).toBe(true);
    expect(allowScriptsEntry('electron', '41.7.1')).toBe(false);
    expect(allowScriptsEntry('esbuild', '0.28.2')).toBe(false);
    expect(allowScriptsEntry('electron-winstaller', '5.4.0')).toBe(false);
  });

  it('says when npm 12 blocked the build for want of an allowScripts entry', () => {
    expect(explainSqliteFailure({ ...missing, allowed: undefined })).toMatch(
      /allowScripts does not allow .*npm 12 skips.*Fix: npm install-scripts approve better-sqlite3 && npm rebuild better-sqlite3/,
    );
  });

  it('says when install scripts were switched off', () => {
    expect(explainSqliteFailure({ ...missing, ignoreScripts: true })).toMatch(
      /ignore-scripts=true.*Fix: npm rebuild better-sqlite3 --ignore-scripts=false/,
    );
  });

  it('says when the build is for another Node version', () => {
    const message =
      'The module was compiled against a different Node.js version using NODE_MODULE_VERSION 115.';
    expect(explainSqliteFailure({ ...missing, message, built: true })).toMatch(
      /another Node\.js version than this one \(v26\.12\.1\).*Fix: npm rebuild better-sqlite3$/,
    );
  });

  it('says when an allowed build failed (no compiler, no headers)', () => {
    expect(explainSqliteFailure(missing)).toMatch(/native build did not run or failed.*npm_config_nodedir/);
  });
});
