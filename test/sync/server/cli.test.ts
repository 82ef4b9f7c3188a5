import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, expect, inject, it } from 'vitest';
import { uniqueDb } from '../../helpers/server.js';

describe('npm run server (CLI)', () => {
  it('prints one "listening on <url>" line when ready, serves, and exits 0 on SIGTERM', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'sync/server/cli.ts'], {
      env: {
        ...process.env,
        MONGODB_URI: inject('mongodbUri'),
        PORT: '0',
        APP_DATABASE: uniqueDb('cli'),
        LOG_LEVEL: 'silent',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        const match = /^listening on (http:\/\/\S+)\n/.exec(stdout);
        if (match) resolve(match[1] as string);
      });
      child.once('exit', (code) => reject(new Error(`exited early with ${code}`)));
    });
    const res = await fetch(`${url}/api/client/v2.0/app/customdata-desk/location`);
    expect((await res.json()).hostname).toBe(url);
    child.kill('SIGTERM');
    const [code] = await once(child, 'exit');
    expect(code).toBe(0);
    expect(stdout).toBe(`listening on ${url}\n`);
  });

  it('refuses an invalid configuration with a clear message and exit code 2', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'sync/server/cli.ts'], {
      env: { ...process.env, PORT: 'eighty', ADMIN_KEY: 'short' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const [code] = await once(child, 'exit');
    expect(code).toBe(2);
    expect(stderr).toMatch(/invalid server configuration/);
    expect(stderr).toMatch(/ADMIN_KEY must be at least 32 characters/);
  });
});
