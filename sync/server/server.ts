/**
 * Composition root of the backend: `startServer(config)` connects MongoDB, prepares indexes
 * and keys, loads functions and listens. Stateless apart from MongoDB, so instances scale out.
 */
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { MongoClientOptions } from 'mongodb';
import { buildApp } from './app.js';
import {
  assembleAuth,
  bearerToken,
  LoginThrottle,
  type SessionDoc,
  Store,
  TokenService,
} from './auth/index.js';
import { parseServerConfig, type ServerConfig, type ServerConfigInput } from './config.js';
import { CustomDataStore } from './custom-data.js';
import { DataApi } from './data-api.js';
import { appHooks, builtinFunctions, FunctionRegistry } from './functions/index.js';
import { dbWithMaxTime } from './limits.js';
import { connectMongo, type MongoHandle } from './mongo.js';
import { Quotas } from './quotas.js';
import { RefusalBudget } from './refusals/index.js';
import { SessionView, type SessionViewStats } from './session-view/index.js';
import { WatchHub, type WatchOptions } from './watch/index.js';

/** How long requests still under way at shutdown may take before their connections are cut. */
const CLOSE_GRACE_MS = 5_000;

export interface StartServerOptions {
  /** Milliseconds since the epoch; injected so tests can move time (token expiry). */
  now?: () => number;
  /** Where log lines go (JSON, one per line); defaults to stdout. */
  logStream?: { write(line: string): void };
  /** Tuning of collection.watch() (keep-alives, back-pressure, caps); see watch.ts. */
  watch?: Partial<WatchOptions>;
  /** Extra driver options (tests: command monitoring). */
  mongoClientOptions?: MongoClientOptions;
}

export interface RunningServer {
  url: string;
  config: ServerConfig;
  mongo: MongoHandle;
  app: FastifyInstance;
  watch: WatchHub;
  /** The session view's counters and state (sync/server/session-view). */
  sessionView: { stats(): SessionViewStats };
  close(): Promise<void>;
}

export async function startServer(
  input: ServerConfigInput | ServerConfig,
  options: StartServerOptions = {},
): Promise<RunningServer> {
  const config = parseServerConfig(input);
  const now = options.now ?? Date.now;
  const mongo = await connectMongo(config.mongodbUri, config.dataDir, options.mongoClientOptions);
  try {
    return await listen(config, mongo, now, options);
  } catch (error) {
    await mongo.close();
    throw error;
  }
}

async function listen(
  config: ServerConfig,
  mongo: MongoHandle,
  now: () => number,
  options: StartServerOptions,
): Promise<RunningServer> {
  const logger =
    config.logLevel === 'silent'
      ? (false as const)
      : { level: config.logLevel, stream: options.logStream ?? process.stderr };
  // Every read and write of users, sessions, credentials, quotas and throttle counters is bounded.
  const appDb = dbWithMaxTime(mongo.client.db(config.appDatabase), config.limits.maxTimeMS);
  const store = new Store(appDb);
  await store.ensureIndexes();
  const secret = config.tokenSigningKey
    ? new TextEncoder().encode(config.tokenSigningKey)
    : await store.signingSecret();
  const tokens = new TokenService(secret, config.appId, now);
  const quotas = new Quotas(appDb, config.quotas, now);
  await quotas.ensureIndexes();
  const throttle = new LoginThrottle(
    appDb,
    {
      freeFailures: config.maxFailedLogins,
      windowMs: config.loginWindowSeconds * 1000,
      maxAccountDelayMs: config.loginMaxAccountDelaySeconds * 1000,
    },
    now,
  );
  await throttle.ensureIndexes();

  const cd = config.customData;
  // The logger is fastify's; until the app exists, a placeholder forwards to it.
  const log = {
    info: (o: object, m?: string) => app.log.info(o, m),
    warn: (o: object, m?: string) => app.log.warn(o, m),
    error: (o: object, m?: string) => app.log.error(o, m),
  };
  const refusals = new RefusalBudget(appDb, {
    perUserPerMinute: config.quotas.refusedRequestsPerUserPerMinute,
    holdMs: config.quotas.refusedRequestsHoldMs,
    verifyAccess: (token) => tokens.verifyAccess(token),
    bearer: (request) => bearerToken(request.headers.authorization),
    now,
    logger: log,
  });
  await refusals.ensureIndexes();
  const customData = new CustomDataStore(
    mongo.client.db(cd.database).collection(cd.collection),
    cd.userIdField,
    cd.enabled,
    log,
    cd.maxDocumentBytes,
    config.limits.maxTimeMS,
  );
  await customData.ensureIndex();

  let accessTokenTtlSeconds =
    (await store.runtimeSettings())?.accessTokenTtlSeconds ?? config.accessTokenTtlSeconds;
  const registry = await FunctionRegistry.load(config.functionsDir, builtinFunctions(customData, now));
  const functions = () => registry;
  const appValues = { values: config.values, environment: config.environment };
  const hooks = appHooks(
    {
      userCreationFunction: config.userCreationFunction,
      loginTriggerFunction: config.loginTriggerFunction,
      authTriggers: config.authTriggers,
      customDataEnabled: cd.enabled,
      serviceName: cd.serviceName,
      maxTimeMS: config.limits.maxTimeMS,
      app: appValues,
    },
    registry,
    mongo.client,
    now,
  );

  // Started once listening: until its change stream is open, refreshes read the database.
  const sessionView = new SessionView<SessionDoc>(
    mongo.client,
    mongo.client.db(config.appDatabase),
    store.sessions.collectionName,
    {
      ...config.sessionView,
      awaitMs: Math.max(10, Math.min(100, Math.floor(config.sessionView.maxLagMs / 5))),
    },
    log,
  );

  const { auth, close: closeAuth } = await assembleAuth({
    authProviders: config.authProviders,
    secrets: config.secrets,
    smtpUrl: config.smtpUrl,
    mailFrom: config.mailFrom,
    accessTokenTtlSeconds: () => accessTokenTtlSeconds,
    refreshTokenTtlSeconds: config.refreshTokenTtlSeconds,
    store,
    tokens,
    customData,
    sessionView,
    throttle,
    quotas,
    hooks,
    runSystemFunction: hooks.runSystemFunction,
    hasFunction: (name) => registry.has(name),
    now,
    logger: log,
  });

  const watch = new WatchHub(
    mongo.client,
    {
      serviceName: cd.serviceName,
      customData: cd,
      openCollections: config.openCollections,
      collectionRules: config.collectionRules,
      maxDepth: config.limits.maxDepth,
    },
    now,
    log,
    options.watch,
  );
  // Said once at start: without change streams watch answers 400 and clients refresh at renewal.
  await watch.probe(cd.database, cd.collection);

  let url = '';
  const app = buildApp({
    appId: config.appId,
    publicUrl: () => (config.publicUrl ?? url).replace(/\/+$/, ''),
    auth,
    dataApi: new DataApi(
      mongo.client,
      {
        serviceName: cd.serviceName,
        customData: cd,
        openCollections: config.openCollections,
        collectionRules: config.collectionRules,
        limits: config.limits,
      },
      quotas,
    ),
    quotas,
    refusals,
    functions,
    customData,
    watch,
    mongo: mongo.client,
    serviceName: cd.serviceName,
    appValues,
    allowedRequestOrigins: config.allowedRequestOrigins,
    adminKey: config.adminKey,
    adminAllowedOrigins: config.adminAllowedOrigins,
    stats: () => ({ watch: watch.stats(), sessionView: sessionView.stats() }),
    accessTokenTtl: {
      get: () => accessTokenTtlSeconds,
      async set(seconds) {
        accessTokenTtlSeconds = seconds;
        await store.saveAccessTokenTtl(seconds);
      },
    },
    bodyLimitBytes: config.bodyLimitBytes,
    functionsBodyLimitBytes: config.functionsBodyLimitBytes,
    trustProxy: config.trustProxy,
    now,
    limits: config.limits,
    logger,
  });
  await app.listen({ port: config.port, host: config.host });
  sessionView.start();
  const address = app.server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  url = `http://${host === '0.0.0.0' || host === '[::]' ? '127.0.0.1' : host}:${address.port}`;

  let closing: Promise<void> | undefined;
  return {
    url,
    config,
    mongo,
    app,
    watch,
    sessionView,
    close() {
      closing ??= (async () => {
        // Open streams first: the HTTP server waits for them before it closes.
        await watch.close();
        // Keep-alive sockets that go idle after close began, and sockets that never sent a
        // request, would hold close() until Node's 60 s headers timeout: close them as they go
        // idle, and cut whatever is still open after a grace period.
        const sweep = setInterval(() => app.server.closeIdleConnections(), 100);
        const cut = setTimeout(() => app.server.closeAllConnections(), CLOSE_GRACE_MS);
        try {
          await app.close();
        } finally {
          clearInterval(sweep);
          clearTimeout(cut);
        }
        closeAuth();
        await sessionView.close();
        await mongo.close();
      })();
      return closing;
    },
  };
}
