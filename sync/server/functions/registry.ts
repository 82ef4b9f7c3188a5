/**
 * App functions: modules in the configured directory (`<name>.js|.mjs|.ts`, default export
 * `(context, ...args)`, optional `export const isPrivate = true`) plus built-in system
 * functions. Functions run with system access to MongoDB through `context.services`.
 */
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { extname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Collection, Document, MongoClient } from 'mongodb';
import { AppError, ErrorCode } from '../../protocol/index.js';
import type { IdentityDoc } from '../auth/index.js';
import { ConfigError } from '../config.js';
import { classifyError, databaseAppError } from '../db-errors.js';
import { DEFAULT_LIMITS, withMaxTime } from '../limits.js';
import { loadAppServicesFunctions } from './app-services.js';

/** `context.user`, shaped as on App Services. */
export interface FunctionUser {
  id: string;
  type: 'normal' | 'server' | 'system';
  data: Record<string, unknown>;
  custom_data: Document;
  identities: IdentityDoc[];
}

export type ServicesAccess = {
  get(name: string): { db(name: string): { collection(name: string): Collection<Document> } };
};

export interface FunctionContext {
  user: FunctionUser;
  services: ServicesAccess;
  functions: { execute(name: string, ...args: unknown[]): Promise<unknown> };
  /** The app's values (`values/*.json`, secrets resolved). */
  values: { get(name: string): unknown };
  /** The deployment's environment (`environments/<tag>.json`). */
  environment: { tag: string; values: Record<string, unknown> };
  /**
   * The same services under the caller's rules, for functions that do not run as system
   * (`run_as_system: false`); absent where no caller's rules apply (triggers run as system).
   */
  servicesAsCaller?: ServicesAccess;
}

/** Values and environment every function context carries (from the imported app). */
export interface AppValues {
  values: Record<string, unknown>;
  environment: { tag: string; values: Record<string, unknown> };
}

export type AppFunction = (context: FunctionContext, ...args: unknown[]) => unknown;

export interface FunctionDefinition {
  run: AppFunction;
  /** Private functions run only from the server (triggers, other functions), never from clients. */
  isPrivate: boolean;
  /** False: the function reaches MongoDB under the caller's rules (App Services' `run_as_system`). */
  runAsSystem?: boolean;
}

const LOADABLE = new Set(['.js', '.mjs', '.ts', '.mts']);
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export class FunctionRegistry {
  private constructor(private readonly definitions: Map<string, FunctionDefinition>) {}

  static async load(
    dir: string | undefined,
    builtins: Record<string, FunctionDefinition>,
  ): Promise<FunctionRegistry> {
    const definitions = new Map(Object.entries(builtins));
    // An App Services export's functions/ (config.json + sources): run as they are.
    if (dir && existsSync(join(dir, 'config.json'))) {
      for (const [name, definition] of await loadAppServicesFunctions(dir)) definitions.set(name, definition);
    } else if (dir) {
      let files: string[];
      try {
        files = await readdir(dir);
      } catch (error) {
        throw new ConfigError(`cannot read functions directory ${dir}: ${(error as Error).message}`);
      }
      for (const file of files.sort()) {
        const ext = extname(file);
        const name = file.slice(0, -ext.length);
        if (!LOADABLE.has(ext) || file.endsWith('.d.ts') || !NAME.test(name)) continue;
        const mod = (await import(pathToFileURL(resolve(join(dir, file))).href)) as {
          default?: unknown;
          isPrivate?: unknown;
        };
        if (typeof mod.default !== 'function') {
          throw new ConfigError(`function ${file} must have a default export (context, ...args) => result`);
        }
        definitions.set(name, { run: mod.default as AppFunction, isPrivate: mod.isPrivate === true });
      }
    }
    return new FunctionRegistry(definitions);
  }

  has(name: string): boolean {
    return this.definitions.has(name);
  }

  /** Runs a function; client calls cannot reach private ones (they look unknown). */
  async call(name: string, context: FunctionContext, args: unknown[], fromClient: boolean): Promise<unknown> {
    const definition = this.definitions.get(name);
    if (!definition || (fromClient && definition.isPrivate)) {
      throw new AppError(404, ErrorCode.FunctionNotFound, `function not found: '${name}'`);
    }
    // Not run as system: the function's database calls go through the caller's rules.
    const scoped =
      definition.runAsSystem === false && context.servicesAsCaller
        ? { ...context, services: context.servicesAsCaller }
        : context;
    try {
      return await definition.run(scoped, ...args);
    } catch (error) {
      if (error instanceof AppError) throw error;
      // A database that is down or failing over is not the function's verdict: 503, retried.
      if (classifyError(error) === 'transient') throw databaseAppError(error) as AppError;
      throw new AppError(400, ErrorCode.FunctionExecutionError, (error as Error)?.message ?? String(error));
    }
  }
}

const NO_VALUES: AppValues = { values: {}, environment: { tag: '', values: {} } };

/** Builds `context` for a call made by (or on behalf of) `user`. */
export function makeContext(
  user: FunctionUser,
  mongo: MongoClient,
  serviceName: string,
  registry: () => FunctionRegistry,
  /** Bounds every database call of the function (limits.maxTimeMS): it runs on a client's behalf. */
  maxTimeMS: number = DEFAULT_LIMITS.maxTimeMS,
  extra: { app?: AppValues; servicesAsCaller?: ServicesAccess } = {},
): FunctionContext {
  const app = extra.app ?? NO_VALUES;
  const context: FunctionContext = {
    user,
    values: { get: (name: string) => app.values[name] },
    environment: app.environment,
    ...(extra.servicesAsCaller ? { servicesAsCaller: extra.servicesAsCaller } : {}),
    services: {
      get(name: string) {
        if (name !== serviceName)
          throw new AppError(404, ErrorCode.ServiceNotFound, `service not found: '${name}'`);
        return {
          db: (db: string) => ({
            collection: (coll: string) => withMaxTime(mongo.db(db).collection(coll), maxTimeMS),
          }),
        };
      },
    },
    functions: {
      execute: (name: string, ...args: unknown[]) => registry().call(name, context, args, false),
    },
  };
  return context;
}
