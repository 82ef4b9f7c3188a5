/**
 * The house's layering, checked on the sources: which part may import which, packages kept
 * where they belong, no file over ~300 lines. docs/architecture.md draws the same rules.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..');

/** A part is a folder; the first matching prefix names a file's part. */
const PARTS = [
  'sync/model',
  'sync/protocol',
  'sync/app-api',
  'sync/client',
  'sync/server',
  'sync/host',
  'renderer/src',
  'electron',
  'tools',
  'bench',
] as const;
type Part = (typeof PARTS)[number];

/** Parts each part may import (itself always). tools and bench may import anything. */
const ALLOWED: Record<Part, readonly Part[]> = {
  'sync/model': [],
  'sync/protocol': ['sync/model'],
  'sync/app-api': ['sync/model', 'sync/protocol'],
  'sync/client': ['sync/model', 'sync/protocol'],
  'sync/server': ['sync/model', 'sync/protocol'],
  'sync/host': ['sync/model', 'sync/protocol', 'sync/app-api', 'sync/client'],
  'renderer/src': ['sync/model', 'sync/protocol', 'sync/app-api'],
  electron: ['sync/model', 'sync/protocol', 'sync/app-api', 'sync/client', 'sync/host'],
  tools: PARTS,
  bench: PARTS,
};

/** Packages (and node:*) a part may import; undefined: any. */
const PACKAGES: Partial<Record<Part, RegExp>> = {
  'sync/model': /^$/,
  'sync/protocol': /^(zod|bson)$/,
  'sync/app-api': /^zod$/,
  'sync/client': /^(jose|better-sqlite3|node:.*)$/,
  'renderer/src': /^(react|react-dom|react-dom\/client|zustand|zod|bson)$/,
};

const MAX_LINES = 310;

interface SourceFile {
  /** Path from the repository root, with forward slashes. */
  path: string;
  source: string;
}

const partOf = (path: string): Part | undefined =>
  PARTS.find((part) => path === part || path.startsWith(`${part}/`));

function importsOf(source: string): string[] {
  const specs = [
    ...source.matchAll(/^\s*(?:import|export)\s[^;]*?\sfrom\s+'([^']+)'/gms),
    ...source.matchAll(/^\s*import\s+'([^']+)'/gm),
    ...source.matchAll(/\bimport\(\s*'([^']+)'\s*\)/g),
  ];
  return specs.map((m) => m[1] as string);
}

/** Every import that breaks the rules, as "file → import (why)". */
function layeringViolations(files: SourceFile[]): string[] {
  const found: string[] = [];
  for (const file of files) {
    const from = partOf(file.path);
    if (!from) continue;
    for (const spec of importsOf(file.source)) {
      if (spec.startsWith('.')) {
        const target = relative(ROOT, resolve(ROOT, dirname(file.path), spec))
          .split('\\')
          .join('/');
        const to = partOf(target);
        if (to === undefined && !target.startsWith('sync/')) continue; // e.g. a stylesheet beside it
        if (to !== from && !(to && ALLOWED[from].includes(to)))
          found.push(`${file.path} → ${spec} (${from} may not import ${to ?? target})`);
      } else {
        const allowed = PACKAGES[from];
        if (allowed && !allowed.test(spec))
          found.push(`${file.path} → ${spec} (no package ${spec} in ${from})`);
      }
    }
  }
  return found;
}

function sources(dir: string): SourceFile[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : sources(path);
    return /\.(ts|tsx|mjs)$/.test(entry.name) && !entry.name.endsWith('.d.ts')
      ? [{ path, source: readFileSync(join(ROOT, path), 'utf8') }]
      : [];
  });
}

const all = () => PARTS.flatMap((part) => sources(part));

describe('layering', () => {
  it('every import goes downwards: model ← protocol ← client, server, app-api ← host ← electron; renderer on app-api', () => {
    expect(layeringViolations(all())).toEqual([]);
  });

  it('the checker sees a forbidden import (the model importing the protocol, the engine the UI contract)', () => {
    expect(
      layeringViolations([
        { path: 'sync/model/staleness.ts', source: "import { z } from 'zod';\n" },
        { path: 'sync/model/edit.ts', source: "import type { X } from '../protocol/index.js';\n" },
        {
          path: 'sync/client/status-value.ts',
          source: "import type {\n  Y,\n} from '../app-api/contract.js';\n",
        },
        { path: 'sync/host/handlers.ts', source: "const s = await import('../server/server.js');\n" },
        {
          path: 'renderer/src/App.tsx',
          source: "import { openClient } from '../../sync/client/index.js';\n",
        },
        { path: 'sync/client/live.ts', source: "import { ErrorCode } from '../protocol/index.js';\n" },
      ]),
    ).toEqual([
      'sync/model/staleness.ts → zod (no package zod in sync/model)',
      'sync/model/edit.ts → ../protocol/index.js (sync/model may not import sync/protocol)',
      'sync/client/status-value.ts → ../app-api/contract.js (sync/client may not import sync/app-api)',
      'sync/host/handlers.ts → ../server/server.js (sync/host may not import sync/server)',
      'renderer/src/App.tsx → ../../sync/client/index.js (renderer/src may not import sync/client)',
    ]);
  });

  it(`no source file over ~300 lines (${MAX_LINES})`, () => {
    const long = all()
      .map((file) => ({ path: file.path, lines: file.source.split('\n').length }))
      .filter((file) => file.lines > MAX_LINES);
    expect(long).toEqual([]);
  });
});
