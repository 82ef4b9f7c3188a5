/**
 * The demo launcher as a user runs it (`npm run start:web`, no MONGODB_URI): it starts the
 * embedded database, says which one, serves the app, and Ctrl-C stops everything it started —
 * no database process left behind. Ctrl-C arrives twice (from the terminal and relayed by
 * tsx); the second must not cut the shutdown short.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/client.js';

const processesUsing = (dir: string) =>
  execFileSync('ps', ['-eo', 'pid,args'], { encoding: 'utf8' })
    .split('\n')
    .filter((line) => line.includes(dir));

function waitForLine(child: ChildProcess, pattern: RegExp, output: string[]): Promise<string> {
  return new Promise((resolveLine, reject) => {
    const onData = (chunk: Buffer) => {
      output.push(chunk.toString());
      const match = pattern.exec(output.join(''));
      if (match) resolveLine(match[0]);
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    child.once('exit', (code) =>
      reject(new Error(`launcher exited (${code}) before ${pattern}: ${output.join('')}`)),
    );
  });
}

// `ps` and POSIX signals: Linux and macOS (the release workflow's Windows runner skips it).
describe.skipIf(process.platform === 'win32')('demo launcher', () => {
  it('uses the embedded database, keeps a private admin key, and stops it all on Ctrl-C', async () => {
    const dataDir = tempDir();
    const output: string[] = [];
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      DATA_DIR: join(dataDir, 'server'),
      CUSTOMDATA_DESK_DATA_DIR: join(dataDir, 'web'),
      PORT: '0',
    };
    delete env.MONGODB_URI;
    delete env.ADMIN_KEY;
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', resolve('tools/launch.ts'), '--web', '--web-port', '0'],
      { env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
    await waitForLine(child, /web mode: open http:\/\/127\.0\.0\.1:\d+/, output);
    expect(output.join('')).toMatch(/^database: (embedded mongod|SecantusDB)/m);
    expect(processesUsing(dataDir).length).toBeGreaterThan(0);

    const keyFile = join(dataDir, 'server', 'admin-key');
    expect(existsSync(keyFile)).toBe(true);
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    expect(readFileSync(keyFile, 'utf8').trim()).toMatch(/^[A-Za-z0-9_-]{43}$/);

    child.kill('SIGINT');
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(processesUsing(dataDir)).toEqual([]);
  }, 120_000);
});
