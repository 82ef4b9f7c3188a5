/**
 * App Services' own function sources, run unmodified: `functions/config.json` lists them
 * (`name`, `private`, `run_as_system`), `functions/<name>.js` holds `exports = function (...) {…}`
 * (async or not) using the globals `context`, `BSON`, `EJSON` and `console`. Each source is
 * compiled once; each call runs its top level anew with that call's `context`, as App Services did.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { compileFunction } from 'node:vm';
import * as BSON from 'bson';
import { z } from 'zod';
import { ConfigError } from '../config.js';
import type { AppFunction, FunctionContext, FunctionDefinition } from './registry.js';

const entrySchema = z
  .object({
    name: z.string().min(1),
    private: z.boolean().default(false),
    run_as_system: z.boolean().default(false),
    disable_arg_logs: z.boolean().optional(),
  })
  .loose();
export const functionsConfigSchema = z.array(entrySchema);

/** Loads every function `config.json` lists; a missing or unparsable source stops the start. */
export async function loadAppServicesFunctions(dir: string): Promise<Map<string, FunctionDefinition>> {
  let entries: z.infer<typeof functionsConfigSchema>;
  try {
    entries = functionsConfigSchema.parse(JSON.parse(await readFile(join(dir, 'config.json'), 'utf8')));
  } catch (error) {
    throw new ConfigError(`cannot read ${join(dir, 'config.json')}: ${(error as Error).message}`);
  }
  const definitions = new Map<string, FunctionDefinition>();
  for (const entry of entries) {
    const file = join(dir, `${entry.name}.js`);
    let source: string;
    try {
      source = await readFile(file, 'utf8');
    } catch {
      throw new ConfigError(`function '${entry.name}' is listed in config.json but ${file} is missing`);
    }
    definitions.set(entry.name, {
      run: compileAppServicesFunction(source, file),
      isPrivate: entry.private,
      runAsSystem: entry.run_as_system,
    });
  }
  return definitions;
}

/** One App Services function source as an `AppFunction`. */
export function compileAppServicesFunction(source: string, filename: string): AppFunction {
  let body: ReturnType<typeof compileFunction>;
  try {
    // `exports = …` assigns the parameter; `module.exports = …` is accepted too.
    body = compileFunction(
      `${source}\n;return typeof exports === 'function' ? exports : module.exports;`,
      ['exports', 'module', 'context', 'BSON', 'EJSON', 'console'],
      { filename },
    );
  } catch (error) {
    throw new ConfigError(`function ${filename} does not compile: ${(error as Error).message}`);
  }
  return (context: FunctionContext, ...args: unknown[]) => {
    const module = { exports: {} as unknown };
    const exported = body(module.exports, module, context, BSON, BSON.EJSON, quietConsole);
    if (typeof exported !== 'function') throw new Error(`${filename} must assign a function to exports`);
    return (exported as (...a: unknown[]) => unknown)(...args);
  };
}

/** Functions' console output is theirs: it may carry user data, so it does not reach our logs. */
const quietConsole = { log() {}, info() {}, warn() {}, error() {}, debug() {} };
