/** The UI contract is what the renderer may import: it must not pull engine, server or host code in. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../../../sync/app-api');

it('sync/app-api imports only itself, sync/model, sync/protocol and zod', () => {
  for (const name of readdirSync(ROOT).filter((n) => n.endsWith('.ts'))) {
    const source = readFileSync(join(ROOT, name), 'utf8');
    const specs = [...source.matchAll(/^(?:import|export)[^;]*? from '([^']+)'/gms)].map(
      (m) => m[1] as string,
    );
    const foreign = specs.filter(
      (s) =>
        !(s.startsWith('./') || s.startsWith('../model/') || s.startsWith('../protocol/') || s === 'zod'),
    );
    expect({ file: name, foreign }).toEqual({ file: name, foreign: [] });
  }
});
