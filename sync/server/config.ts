/**
 * Server configuration: environment variables, optionally a JSON file (`--config`).
 * Environment wins over the file so one file can serve several deployments.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { CUSTOM_DATA_DEFAULTS } from '../model/index.js';
import { adminKeyWeakness } from './admin-guard.js';
import {
  authTriggersSchema,
  bool,
  collectionRulesSchema,
  port,
  quotasSchema,
  seconds,
} from './config-sections.js';
import { DEFAULT_LIMITS } from './limits.js';

export const serverConfigSchema = z.object({
  port: port.default(8787),
  host: z.string().default('127.0.0.1'),
  /** Origin that `location` returns as hostname; defaults to the listening URL. */
  publicUrl: z.url().optional(),
  /** Unset: an embedded mongodb-memory-server-core (real mongod) with data under dataDir. */
  mongodbUri: z.string().optional(),
  dataDir: z.string().default('.data/server'),
  appId: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/)
    .default('customdata-desk'),
  /** Database for users, sessions and keys (not the custom data). */
  appDatabase: z.string().min(1).default('customdata-desk-app'),
  customData: z
    .object({
      enabled: bool.default(true),
      serviceName: z.string().default(CUSTOM_DATA_DEFAULTS.serviceName),
      database: z.string().min(1).default(CUSTOM_DATA_DEFAULTS.database),
      collection: z.string().min(1).default(CUSTOM_DATA_DEFAULTS.collection),
      userIdField: z
        .string()
        .regex(/^[A-Za-z_][A-Za-z0-9_]*$/)
        .default(CUSTOM_DATA_DEFAULTS.userIdField),
      /** owner: read/write own document; read-only: clients read, edits go through system functions. */
      rules: z.enum(['owner', 'read-only']).default('owner'),
      /** Largest document client writes may leave; bigger ones written elsewhere are left out of tokens. */
      maxDocumentBytes: z.coerce
        .number()
        .int()
        .min(1024)
        .default(16 * 1024),
    })
    .prefault({}),
  collectionRules: collectionRulesSchema,
  /** The app's values (`context.values.get`), secrets already resolved. */
  values: z.record(z.string(), z.unknown()).default({}),
  /** `context.environment`: the deployment's tag and its values. */
  environment: z
    .object({ tag: z.string().default(''), values: z.record(z.string(), z.unknown()).default({}) })
    .prefault({}),
  authTriggers: authTriggersSchema,
  /** Web origins allowed to call the client API from a browser; empty: any (as before). */
  allowedRequestOrigins: z.array(z.string()).default([]),
  /** Other collections ("db.collection") opened to every logged-in user; all others are denied. */
  openCollections: z.array(z.string()).default([]),
  accessTokenTtlSeconds: seconds.default(1800),
  refreshTokenTtlSeconds: seconds.default(5_184_000),
  tokenSigningKey: z.string().min(32, 'TOKEN_SIGNING_KEY must be at least 32 characters').optional(),
  adminKey: z
    .string()
    .superRefine((key, ctx) => {
      const weakness = adminKeyWeakness(key);
      if (weakness) ctx.addIssue({ code: 'custom', message: weakness });
    })
    .optional(),
  /** Web origins allowed to call the admin API from a browser; none by default (docs/security.md). */
  adminAllowedOrigins: z
    .preprocess(
      (v) =>
        typeof v === 'string'
          ? v
              .split(',')
              .map((o) => o.trim())
              .filter(Boolean)
          : v,
      z.array(z.url()),
    )
    .default([]),
  functionsDir: z.string().optional(),
  /** Function run once when a user is created (first login), e.g. the built-in `createCustomUserData`. */
  userCreationFunction: z.string().optional(),
  /** Function run at every login before the token is minted, e.g. the built-in `stampLastLogin`. */
  loginTriggerFunction: z.string().optional(),
  /**
   * Auth providers shaped exactly as an App Services export's `auth/providers.json`; unset:
   * anonymous and auto-confirmed e-mail/password (auth/providers/provider-config.ts, docs/server.md).
   */
  authProviders: z.record(z.string(), z.unknown()).optional(),
  /** Secret values by name, for what providers' `secret_config` names (e.g. JWT signing keys). */
  secrets: z.record(z.string(), z.string()).default({}),
  /** SMTP server for confirmation and reset mail (`smtp://user:pass@host:587`, `smtps://…`). */
  smtpUrl: z
    .string()
    .regex(/^smtps?:\/\//, 'SMTP_URL must start with smtp:// or smtps://')
    .optional(),
  /** Sender of that mail. */
  mailFrom: z.string().default('customdata-desk <no-reply@localhost>'),
  /** Failed logins of one email before growing delays begin (an address gets 4×); login-throttle.ts. */
  maxFailedLogins: z.coerce.number().int().min(1).default(5),
  /** Failure counters lapse this long after the last failure; also the longest wait of an address. */
  loginWindowSeconds: seconds.default(900),
  /** Longest wait one account's failures impose: guessing must not lock the owner out. */
  loginMaxAccountDelaySeconds: seconds.default(60),
  quotas: quotasSchema,
  bodyLimitBytes: z.coerce
    .number()
    .int()
    .min(1024)
    .default(4 * 1024 * 1024),
  /**
   * Body limit of `POST functions/call` (data API and function calls): much smaller than
   * `bodyLimitBytes`, since a call's arguments are no bulk upload and parsing a large body blocks
   * every other user's requests meanwhile (docs/benchmarks.md, bystander line).
   */
  functionsBodyLimitBytes: z.coerce
    .number()
    .int()
    .min(1024)
    .default(256 * 1024),
  /**
   * Which proxies in front of the backend to believe about the client's address
   * (`X-Forwarded-For`), for the per-address limits: off by default (the socket's address).
   * `true` trusts any (only when nothing else can reach the port), a number trusts that many
   * hops, otherwise a comma-separated list of proxy addresses or CIDRs (fastify `trustProxy`).
   */
  trustProxy: z
    .union([z.boolean(), z.number().int().min(0), z.string()])
    .default(false)
    .transform((value): boolean | number | string => {
      if (typeof value !== 'string') return value;
      const text = value.trim();
      if (text === '' || text === 'false' || text === '0') return false;
      if (text === 'true') return true;
      if (/^\d+$/.test(text)) return Number(text);
      return text;
    }),
  /**
   * This instance's view of the sessions, kept by a change stream, so a refresh reads only the
   * custom data; a revocation elsewhere shows here within `maxLagMs` (docs/server.md, "Refresh:
   * one database read").
   */
  sessionView: z
    .object({
      enabled: bool.default(true),
      maxLagMs: z.coerce.number().int().min(50).max(10_000).default(750),
      maxSessions: z.coerce.number().int().min(0).default(100_000),
    })
    .prefault({}),
  /** Request limits (docs/security.md "Request limits"); defaults in sync/server/limits.ts. */
  limits: z
    .object({
      maxTimeMS: z.coerce.number().int().min(1).default(DEFAULT_LIMITS.maxTimeMS),
      maxDepth: z.coerce.number().int().min(2).max(100).default(DEFAULT_LIMITS.maxDepth),
      maxPipelineStages: z.coerce.number().int().min(1).default(DEFAULT_LIMITS.maxPipelineStages),
      maxInArray: z.coerce.number().int().min(1).default(DEFAULT_LIMITS.maxInArray),
      maxRegexLength: z.coerce.number().int().min(1).default(DEFAULT_LIMITS.maxRegexLength),
      allowRegex: bool.default(DEFAULT_LIMITS.allowRegex),
    })
    .prefault({}),
  logLevel: z.enum(['silent', 'error', 'warn', 'info', 'debug']).default('info'),
});

export type ServerConfigInput = z.input<typeof serverConfigSchema>;
export type ServerConfig = z.output<typeof serverConfigSchema>;

/** Environment variable → path in the configuration object. */
const ENV_PATHS: Record<string, string[]> = {
  PORT: ['port'],
  HOST: ['host'],
  PUBLIC_URL: ['publicUrl'],
  MONGODB_URI: ['mongodbUri'],
  DATA_DIR: ['dataDir'],
  APP_ID: ['appId'],
  APP_DATABASE: ['appDatabase'],
  CUSTOM_DATA_ENABLED: ['customData', 'enabled'],
  CUSTOM_DATA_SERVICE: ['customData', 'serviceName'],
  CUSTOM_DATA_DATABASE: ['customData', 'database'],
  CUSTOM_DATA_COLLECTION: ['customData', 'collection'],
  CUSTOM_DATA_USER_ID_FIELD: ['customData', 'userIdField'],
  CUSTOM_DATA_RULES: ['customData', 'rules'],
  CUSTOM_DATA_MAX_DOCUMENT_BYTES: ['customData', 'maxDocumentBytes'],
  ACCESS_TOKEN_TTL_SECONDS: ['accessTokenTtlSeconds'],
  REFRESH_TOKEN_TTL_SECONDS: ['refreshTokenTtlSeconds'],
  TOKEN_SIGNING_KEY: ['tokenSigningKey'],
  ADMIN_KEY: ['adminKey'],
  ADMIN_ALLOWED_ORIGINS: ['adminAllowedOrigins'],
  FUNCTIONS_DIR: ['functionsDir'],
  USER_CREATION_FUNCTION: ['userCreationFunction'],
  LOGIN_TRIGGER_FUNCTION: ['loginTriggerFunction'],
  SMTP_URL: ['smtpUrl'],
  MAIL_FROM: ['mailFrom'],
  LOG_LEVEL: ['logLevel'],
  BODY_LIMIT_BYTES: ['bodyLimitBytes'],
  TRUST_PROXY: ['trustProxy'],
  FUNCTIONS_BODY_LIMIT_BYTES: ['functionsBodyLimitBytes'],
  MAX_TIME_MS: ['limits', 'maxTimeMS'],
  MAX_DEPTH: ['limits', 'maxDepth'],
  MAX_PIPELINE_STAGES: ['limits', 'maxPipelineStages'],
  MAX_IN_ARRAY: ['limits', 'maxInArray'],
  MAX_REGEX_LENGTH: ['limits', 'maxRegexLength'],
  ALLOW_REGEX: ['limits', 'allowRegex'],
  SESSION_VIEW_ENABLED: ['sessionView', 'enabled'],
  SESSION_VIEW_MAX_LAG_MS: ['sessionView', 'maxLagMs'],
};

function setPath(target: Record<string, unknown>, path: string[], value: string): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    if (typeof node[key] !== 'object' || node[key] === null) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[path[path.length - 1] as string] = value;
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
  for (const [key, path] of Object.entries(ENV_PATHS)) {
    const value = env[key];
    if (value !== undefined && value !== '') setPath(raw, path, value);
  }
  return parseServerConfig(raw);
}
