/**
 * Server configuration: environment variables, optionally a JSON file (`--config`).
 * Environment wins over the file so one file can serve several deployments.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';

const port = z.coerce.number().int().min(0).max(65535);
const seconds = z.coerce.number().int().min(1);
const bool = z.union([z.boolean(), z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1')]);

export const serverConfigSchema = z.object({
  port: port.default(8787),
  host: z.string().default('127.0.0.1'),
  /** Origin that `location` returns as hostname; defaults to the listening URL. */
  publicUrl: z.url().optional(),
  /** Unset: an embedded mongodb-memory-server-core (real mongod) with data under dataDir. */
  mongodbUri: z.string().optional(),
  dataDir: z.string().default('.data/server'),
  appId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/).default('customdata-desk'),
  /** Database for users, sessions and keys (not the custom data). */
  appDatabase: z.string().min(1).default('customdata-desk-app'),
  customData: z
    .object({
      enabled: bool.default(true),
      serviceName: z.string().default('mongodb-atlas'),
      database: z.string().min(1).default('custom-user-data-database'),
      collection: z.string().min(1).default('custom-user-data'),
      userIdField: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/).default('userId'),
      /** owner: read/write own document; read-only: clients read, edits go through system functions. */
      rules: z.enum(['owner', 'read-only']).default('owner'),
    })
    .prefault({}),
  /** Other collections ("db.collection") opened to every logged-in user; all others are denied. */
  openCollections: z.array(z.string()).default([]),
  accessTokenTtlSeconds: seconds.default(1800),
  refreshTokenTtlSeconds: seconds.default(5_184_000),
  tokenSigningKey: z.string().min(32, 'TOKEN_SIGNING_KEY must be at least 32 characters').optional(),
  adminKey: z.string().min(16, 'ADMIN_KEY must be at least 16 characters').optional(),
  functionsDir: z.string().optional(),
  /** Function run once when a user is created (first login), e.g. the built-in `createCustomUserData`. */
  userCreationFunction: z.string().optional(),
  /** Function run at every login before the token is minted, e.g. the built-in `stampLastLogin`. */
  loginTriggerFunction: z.string().optional(),
  /** Failed logins allowed per email within `loginWindowSeconds`. */
  maxFailedLogins: z.coerce.number().int().min(1).default(10),
  loginWindowSeconds: seconds.default(900),
  bodyLimitBytes: z.coerce.number().int().min(1024).default(4 * 1024 * 1024),
  logLevel: z.enum(['silent', 'error', 'warn', 'info', 'debug']).default('info'),
});

export type ServerConfigInput = z.input<typeof serverConfigSchema>;
export type ServerConfig = z.output<typeof serverConfigSchema>;

const ENV_KEYS: Record<string, (c: Record<string, unknown>, v: string) => void> = {
  PORT: (c, v) => void (c.port = v),
  HOST: (c, v) => void (c.host = v),
  PUBLIC_URL: (c, v) => void (c.publicUrl = v),
  MONGODB_URI: (c, v) => void (c.mongodbUri = v),
  DATA_DIR: (c, v) => void (c.dataDir = v),
  APP_ID: (c, v) => void (c.appId = v),
  APP_DATABASE: (c, v) => void (c.appDatabase = v),
  CUSTOM_DATA_ENABLED: (c, v) => customData(c).enabled = v,
  CUSTOM_DATA_SERVICE: (c, v) => customData(c).serviceName = v,
  CUSTOM_DATA_DATABASE: (c, v) => customData(c).database = v,
  CUSTOM_DATA_COLLECTION: (c, v) => customData(c).collection = v,
  CUSTOM_DATA_USER_ID_FIELD: (c, v) => customData(c).userIdField = v,
  CUSTOM_DATA_RULES: (c, v) => customData(c).rules = v,
  ACCESS_TOKEN_TTL_SECONDS: (c, v) => void (c.accessTokenTtlSeconds = v),
  REFRESH_TOKEN_TTL_SECONDS: (c, v) => void (c.refreshTokenTtlSeconds = v),
  TOKEN_SIGNING_KEY: (c, v) => void (c.tokenSigningKey = v),
  ADMIN_KEY: (c, v) => void (c.adminKey = v),
  FUNCTIONS_DIR: (c, v) => void (c.functionsDir = v),
  USER_CREATION_FUNCTION: (c, v) => void (c.userCreationFunction = v),
  LOGIN_TRIGGER_FUNCTION: (c, v) => void (c.loginTriggerFunction = v),
  LOG_LEVEL: (c, v) => void (c.logLevel = v),
};

function customData(c: Record<string, unknown>): Record<string, unknown> {
  c.customData ??= {};
  return c.customData as Record<string, unknown>;
}

/** Thrown for configuration the server cannot start with; the CLI prints it and exits 2. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

export function parseServerConfig(input: unknown): ServerConfig {
  const parsed = serverConfigSchema.safeParse(input);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new ConfigError(`invalid server configuration:\n  ${problems.join('\n  ')}`);
  }
  return parsed.data;
}

/** Builds the configuration from an optional JSON file plus the environment. */
export function loadServerConfig(env: NodeJS.ProcessEnv, configFile?: string): ServerConfig {
  let raw: Record<string, unknown> = {};
  if (configFile) {
    try {
      raw = JSON.parse(readFileSync(configFile, 'utf8')) as Record<string, unknown>;
    } catch (error) {
      throw new ConfigError(`cannot read config file ${configFile}: ${(error as Error).message}`);
    }
    // Paths in a config file are relative to the file, not to the working directory.
    const base = dirname(resolve(configFile));
    for (const key of ['dataDir', 'functionsDir'] as const) {
      if (typeof raw[key] === 'string') raw[key] = resolve(base, raw[key] as string);
    }
  }
  for (const [key, apply] of Object.entries(ENV_KEYS)) {
    const value = env[key];
    if (value !== undefined && value !== '') apply(raw, value);
  }
  return parseServerConfig(raw);
}
