/**
 * Reading an exported App Services app (`appservices pull` / `realm-cli export`): JSON files
 * by path, and the list of every file, so the report can account for each one.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import type { ServerConfigInput } from '../config.js';

export class ImportStopped extends Error {
  override name = 'ImportStopped';
  constructor(
    readonly file: string,
    readonly reason: string,
  ) {
    super(`${file}: ${reason}`);
  }
}

export class ExportDir {
  /** Every file of the export, relative, with `/` separators. */
  readonly files: string[];

  constructor(readonly root: string) {
    try {
      if (!statSync(root).isDirectory()) throw new Error('not a directory');
    } catch (error) {
      throw new ImportStopped(root, `cannot read the export directory: ${(error as Error).message}`);
    }
    this.files = walk(root).map((file) => relative(root, file).split(sep).join('/'));
  }

  has(path: string): boolean {
    return this.files.includes(path);
  }

  /** Files under a folder (`functions/`), relative to the export. */
  under(folder: string): string[] {
    return this.files.filter((file) => file.startsWith(`${folder}/`));
  }

  json<T = unknown>(path: string): T {
    try {
      return JSON.parse(readFileSync(join(this.root, path), 'utf8')) as T;
    } catch (error) {
      throw new ImportStopped(path, `not valid JSON: ${(error as Error).message}`);
    }
  }

  optionalJson<T = unknown>(path: string): T | undefined {
    return this.has(path) ? this.json<T>(path) : undefined;
  }

  text(path: string): string {
    return readFileSync(join(this.root, path), 'utf8');
  }
}

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (entry.name === '.git' || entry.name === 'node_modules' || entry.name === '.DS_Store') return [];
    const path = join(dir, entry.name);
    return entry.isDirectory() ? walk(path) : [path];
  });
}

/** The config an import writes (config.json), typed loosely: its schema is config.ts'. */
export type ImportedConfig = ServerConfigInput & Record<string, unknown>;

/** What each part of the import reads and writes: the export, the config, the report. */
export interface ImportStep {
  dir: ExportDir;
  config: ImportedConfig;
  secrets: Record<string, string>;
  /** Files some part has imported or skipped; the rest are reported at the end. */
  accounted: Set<string>;
  done(file: string, what: string): void;
  skip(file: string, reason: string): void;
}
