import cors from '@fastify/cors';
import Fastify, { type FastifyInstance, type FastifyRequest, LogController } from 'fastify';
import type { MongoClient } from 'mongodb';
import {
  ADMIN_KEY_HEADER,
  API_PREFIX,
  AppError,
  ErrorCode,
  fromEJSON,
  functionCallBodySchema,
  toCanonicalEJSONText,
} from '../protocol/index.js';
import { registerAdminRoutes } from './admin/admin-routes.js';
import { isAdminPath } from './admin-guard.js';
import { type AuthService, bearerToken, registerAuthRoutes } from './auth/index.js';
import { assertSupportedValues, assertWellFormedEJSON } from './bson-values.js';
import type { CustomDataStore } from './custom-data.js';
import { type DataApi, isWriteOperation } from './data-api.js';
import { classifyError, databaseAppError } from './db-errors.js';
import { type AppValues, callerServices, type FunctionRegistry, makeContext } from './functions/index.js';
import { checkAppId, parseOr400, sendError } from './http.js';
import {
  assertArraySizesBeforeDecoding,
  DEFAULT_LIMITS,
  isTimeLimitError,
  type RequestLimits,
  timeLimitError,
} from './limits.js';
import type { Quotas } from './quotas.js';
import type { RefusalBudget } from './refusals/index.js';
import type { RuleUser } from './role-expressions.js';
import type { WatchHub } from './watch/index.js';

export interface AppDeps {
  appId: string;
  publicUrl: () => string;
  auth: AuthService;
  dataApi: DataApi;
  quotas: Quotas;
  /** Per-user budget of refused `functions/call` requests (refusals/); none: no budget. */
  refusals?: RefusalBudget;
  functions: () => FunctionRegistry;
  customData: CustomDataStore;
  watch: WatchHub;
  mongo: MongoClient;
  serviceName: string;
  /** The app's values and environment (`context.values`, `context.environment`). */
  appValues?: AppValues;
  /** Browser origins allowed to call the client API (App Services' allowed_request_origins). */
  allowedRequestOrigins?: readonly string[];
  adminKey: string | undefined;
  /** Origins whose pages may call the admin API; requests with any other Origin are refused. */
  adminAllowedOrigins: readonly string[];
  accessTokenTtl: { get(): number; set(seconds: number): Promise<void> };
  /** This instance's counters, for `GET /admin/v1/stats`. */
  stats: () => Record<string, unknown>;
  bodyLimitBytes: number;
  /** Body limit of `POST functions/call` (config.ts `functionsBodyLimitBytes`). */
  functionsBodyLimitBytes?: number;
  /** Proxies whose X-Forwarded-For gives `request.ip` (config.ts `trustProxy`); false: the socket. */
  trustProxy?: boolean | number | string;
  limits?: RequestLimits;
  logger: false | { level: string; stream?: { write(line: string): void } };
  /** The server's clock (tokens' iat/exp use it); the `Date` header says it so clients measure their offset. */
  now?: () => number;
}

export function buildApp(deps: AppDeps): FastifyInstance {
  const app = Fastify({
    bodyLimit: deps.bodyLimitBytes,
    trustProxy: trustedProxies(deps.trustProxy),
    // Access tokens carry the whole custom data document and realm-web sends them even on
    // register; Node's 16 KiB default would refuse the headers of a user with large data.
    http: { maxHeaderSize: 256 * 1024 },
    // Request logs would carry URLs and bodies; we log a compact line per response instead.
    logController: new LogController({ disableRequestLogging: true }),
    logger: deps.logger,
  });

  // realm-web runs in browsers on any origin; the admin API only for explicitly allowed ones.
  const clientCors = {
    // App Services' allowed_request_origins when the app has them; otherwise any origin.
    origin: deps.allowedRequestOrigins?.length ? [...deps.allowedRequestOrigins] : true,
    methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
    allowedHeaders: ['Authorization', 'Content-Type', 'Accept'],
    exposedHeaders: ['x-baas-location'],
  };
  const adminCors = {
    origin: deps.adminAllowedOrigins.length > 0 ? [...deps.adminAllowedOrigins] : false,
    methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
    allowedHeaders: ['Content-Type', 'Accept', ADMIN_KEY_HEADER],
  };
  app.register(cors, {
    delegator: (request: FastifyRequest, callback: (error: Error | null, options: object) => void) =>
      callback(null, isAdminPath(request.url) ? adminCors : clientCors),
  });

  // JSON is parsed here and EJSON decoded per route (relaxed for functions, canonical for data).
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
    const text = String(body);
    if (text.trim() === '') return done(null, undefined);
    try {
      done(null, JSON.parse(text));
    } catch {
      done(new AppError(400, ErrorCode.BadRequest, 'request body is not valid JSON'), undefined);
    }
  });

  app.setErrorHandler((error, request, reply) => {
    if (error instanceof AppError) {
      // Route only, never the request's content (docs/security.md "Request limits").
      if (error.code === ErrorCode.ExecutionTimeLimitExceeded)
        request.log.warn({ route: request.routeOptions.url }, 'database operation exceeded maxTimeMS');
      return sendError(reply, error);
    }
    if (isTimeLimitError(error)) {
      request.log.warn({ route: request.routeOptions.url }, 'database operation exceeded maxTimeMS');
      return sendError(reply, timeLimitError());
    }
    const status = (error as { statusCode?: number }).statusCode;
    if (status && status >= 400 && status < 500) {
      if (status === 413) {
        const limit = request.routeOptions.bodyLimit ?? deps.bodyLimitBytes;
        // Only functions/call has a limit of its own, and it is never above the global one.
        const limitName = limit < deps.bodyLimitBytes ? 'functionsBodyLimitBytes' : 'bodyLimitBytes';
        return sendError(
          reply,
          new AppError(
            413,
            ErrorCode.ReadSizeLimitExceeded,
            `request body is over ${limitName} (${limit} bytes)`,
          ),
        );
      }
      return sendError(reply, new AppError(status, ErrorCode.BadRequest, (error as Error).message));
    }
    // Auth, admin and every other route: a database failure that may pass is 503, not 500.
    if (classifyError(error) === 'transient') return sendError(reply, databaseAppError(error) as AppError);
    // Type and code location only: messages (and a stack's first line) can quote request content.
    request.log.error(
      { err: { type: (error as Error).name, stack: stackFrames((error as Error).stack) } },
      'internal error',
    );
    return sendError(reply, new AppError(500, ErrorCode.InternalServerError, 'internal server error'));
  });

  app.setNotFoundHandler((request, reply) =>
    sendError(
      reply,
      new AppError(404, ErrorCode.NotFound, `no route for ${request.method} ${request.url.split('?')[0]}`),
    ),
  );

  // App Services sent `application/json` with no parameter, and Realm Core reads an error's
  // `error_code` only under exactly that type (anything else becomes a generic HttpError).
  app.addHook('onSend', async (_request, reply) => {
    const type = reply.getHeader('content-type');
    if (typeof type === 'string' && /^application\/json\s*;/i.test(type))
      reply.header('content-type', 'application/json');
  });

  const now = deps.now;
  if (now)
    app.addHook(
      'onSend',
      async (_request, reply) => void reply.header('date', new Date(now()).toUTCString()),
    );

  app.addHook('onResponse', (request, reply, done) => {
    // Method, route pattern, status and time only: never tokens, bodies or custom data.
    request.log.info(
      {
        method: request.method,
        route: request.routeOptions.url ?? 'unmatched',
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime),
      },
      'request',
    );
    done();
  });

  const appPath = `${API_PREFIX}/app/:appId`;
  const checkApp = (request: FastifyRequest) => checkAppId(request, deps.appId);
  const requireAccess = (request: FastifyRequest): string => {
    const token = bearerToken(request.headers.authorization);
    if (!token) throw new AppError(401, ErrorCode.InvalidSession, 'must authenticate first');
    return token;
  };

  app.get(`${appPath}/location`, async (request) => {
    checkApp(request);
    const hostname = deps.publicUrl();
    return {
      deployment_model: 'LOCAL',
      location: 'self-hosted',
      hostname,
      ws_hostname: hostname.replace(/^http/, 'ws'),
    };
  });

  registerAuthRoutes(app, { appId: deps.appId, auth: deps.auth, quotas: deps.quotas });

  // A much smaller body limit than the global one: a function call carries arguments, not bulk
  // data, and parsing a 2 MB body blocks the event loop for every other user (docs/benchmarks.md).
  const functionsCallLimits = {
    bodyLimit: Math.min(deps.functionsBodyLimitBytes ?? deps.bodyLimitBytes, deps.bodyLimitBytes),
    // A user past the refusal budget is answered 429 before the body is read (refusals/).
    ...deps.refusals?.hooks,
  };
  app.post(`${appPath}/functions/call`, functionsCallLimits, async (request, reply) => {
    checkApp(request);
    const token = requireAccess(request);
    const claims = deps.refusals?.claims(request) ?? (await deps.auth.tokens.verifyAccess(token));
    const body = parseOr400(functionCallBodySchema, request.body ?? {});
    // Before decoding (bson turns some malformed wrappers into wrong values), and after
    // (types the database may refuse never reach the shared connection pool).
    assertWellFormedEJSON(body.arguments, 'arguments');
    let result: unknown;
    if (body.service) {
      assertArraySizesBeforeDecoding(body.arguments, deps.limits ?? DEFAULT_LIMITS);
      // Data operations keep exact BSON types (Int32, Double, Long...): canonical decoding.
      const args = fromEJSON<unknown[]>(body.arguments, false);
      assertSupportedValues(args, 'arguments');
      if (isWriteOperation(body.name)) await deps.auth.assertLiveSession(claims);
      result = await deps.dataApi.call(body.service, body.name, args, claims.sub, ruleUser(claims));
    } else {
      const args = fromEJSON<unknown[]>(body.arguments, true);
      assertSupportedValues(args, 'arguments');
      const registry = deps.functions();
      if (!registry.has(body.name))
        throw new AppError(404, ErrorCode.FunctionNotFound, `function not found: '${body.name}'`);
      // Functions may write with system rights: they too need a live session.
      await deps.auth.assertLiveSession(claims);
      const user = await deps.auth.functionUser(claims.sub);
      result = await registry.call(
        body.name,
        makeContext(
          user,
          deps.mongo,
          deps.serviceName,
          deps.functions,
          (deps.limits ?? DEFAULT_LIMITS).maxTimeMS,
          {
            app: deps.appValues,
            // Functions that do not run as system reach MongoDB under this caller's rules.
            servicesAsCaller: callerServices(
              (service, name, callArgs, userId) =>
                deps.dataApi.call(service, name, callArgs, userId, ruleUser(claims)),
              claims.sub,
            ),
          },
        ),
        args,
        true,
      );
    }
    return reply.type('application/json').send(toCanonicalEJSONText(result));
  });

  // Streaming calls: collection.watch() over server-sent events (watch.ts).
  app.get(`${appPath}/functions/call`, async (request, reply) => {
    checkApp(request);
    // Realm Core sends the access token as `baas_at` in the query (an event stream has no
    // headers to set in browsers either); realm-web sends the Authorization header.
    const inQuery = (request.query as { baas_at?: unknown }).baas_at;
    const token =
      bearerToken(request.headers.authorization) ?? (typeof inQuery === 'string' ? inQuery : undefined);
    if (!token) throw new AppError(401, ErrorCode.InvalidSession, 'must authenticate first');
    const claims = await deps.auth.tokens.verifyAccess(token);
    await deps.watch.serve(request, reply, claims.sub, claims.exp, ruleUser(claims));
  });

  registerAdminRoutes(app, deps);
  return app;
}

/** fastify's `trustProxy` (its types take no hop count: a count becomes the equivalent function). */
function trustedProxies(
  setting: boolean | number | string | undefined,
): boolean | string | ((address: string, hop: number) => boolean) {
  if (typeof setting === 'number') return (_address, hop) => hop < setting;
  return setting ?? false;
}

/** The "at ..." lines of a stack, without the message line(s) above them. */
function stackFrames(stack: string | undefined): string[] {
  return (stack ?? '').split('\n').filter((line) => /^\s+at /.test(line));
}

/** The caller as rules see it: id and custom data, both from the access token (no extra read). */
function ruleUser(claims: { sub: string; user_data?: unknown }): RuleUser {
  const customData =
    claims.user_data === undefined ? {} : fromEJSON<Record<string, unknown>>(claims.user_data, true);
  return { id: claims.sub, customData };
}
