/** The engine's boundaries, checked: parts that do not import each other, small files, node:* in one place. */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../../../sync/client');
const PARTS = ['session', 'outbox', 'connection', 'conflicts', 'status-value', 'server-clock', 'live-link'];

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? files(join(dir, entry.name))
      : entry.name.endsWith('.ts')
        ? [join(dir, entry.name)]
        : [],
  );
}

const importsOf = (file: string) =>
  [...readFileSync(file, 'utf8').matchAll(/^(?:import|export)[^;]*? from '([^']+)'/gms)].map(
    (m) => m[1] as string,
  );

describe('sync/client structure', () => {
  it('parts do not import each other: the facade wires them', () => {
    for (const part of PARTS) {
      const others = importsOf(join(ROOT, `${part}.ts`)).filter((spec) =>
        PARTS.some((other) => other !== part && spec === `./${other}.js`),
      );
      expect({ part, imports: others }).toEqual({ part, imports: [] });
    }
  });

  it('no file over ~300 lines, and node:* only in the opener', () => {
    for (const file of files(ROOT)) {
      const name = relative(ROOT, file);
      expect({ name, lines: readFileSync(file, 'utf8').split('\n').length <= 310 }).toEqual({
        name,
        lines: true,
      });
      if (name !== 'open.ts')
        expect({ name, node: importsOf(file).filter((s) => s.startsWith('node:')) }).toEqual({
          name,
          node: [],
        });
    }
  });
});
