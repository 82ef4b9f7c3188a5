/**
 * The auth routes of the App Services client API: provider logins (and `?link=true`),
 * e-mail/password registration, confirmation and reset, profile, session refresh and logout,
 * user deletion and user API keys.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import {
  API_PREFIX,
  AppError,
  ErrorCode,
  fromEJSON,
  loginBodySchema,
  Messages,
  registerBodySchema,
} from '../../protocol/index.js';
import { checkAppId, parseOr400 } from '../http.js';
import type { Quotas } from '../quotas.js';
import { RefusedLogin } from './providers/external.js';
import type { AuthService } from './service.js';
import { bearerToken } from './tokens.js';

export interface AuthRouteDeps {
  appId: string;
  auth: AuthService;
  quotas: Quotas;
}

const emailBody = z.object({ email: z.string().min(1) });
const tokenBody = z.object({ token: z.string().min(1), tokenId: z.string().min(1) });
const resetBody = tokenBody.extend({ password: registerBodySchema.shape.password });
const resetCallBody = z.object({
  email: z.string().min(1),
  password: registerBodySchema.shape.password,
  arguments: z.array(z.unknown()).default([]),
});
const apiKeyBody = z.object({ name: z.unknown() });

export function registerAuthRoutes(app: FastifyInstance, deps: AuthRouteDeps): void {
  const { auth } = deps;
  const appPath = `${API_PREFIX}/app/:appId`;
  const provider = `${appPath}/auth/providers/:provider`;
  const providerName = (request: FastifyRequest) => {
    checkAppId(request, deps.appId);
    return (request.params as { provider: string }).provider;
  };
  const body = <T>(schema: z.ZodType<T>, request: FastifyRequest) =>
    parseOr400(schema, fromEJSON(request.body ?? {}, true));
  const userpass = (request: FastifyRequest) => auth.providers.userpass(providerName(request));

  app.post(`${provider}/register`, async (request, reply) => {
    const name = providerName(request);
    const { email, password } = registration(fromEJSON(request.body ?? {}, true));
    await deps.quotas.hitAddress('register', request.ip);
    await auth.register(name, email, password, request.ip);
    return reply.code(201).send();
  });
  app.post(`${provider}/confirm`, async (request, reply) => {
    const { token, tokenId } = body(tokenBody, request);
    await userpass(request).confirm(token, tokenId);
    return reply.code(204).send();
  });
  app.post(`${provider}/confirm/send`, async (request, reply) => {
    await userpass(request).resendConfirmation(body(emailBody, request).email, request.ip);
    return reply.code(204).send();
  });
  app.post(`${provider}/confirm/call`, async (request, reply) => {
    await userpass(request).retryConfirmation(body(emailBody, request).email, request.ip);
    return reply.code(204).send();
  });
  app.post(`${provider}/reset/send`, async (request, reply) => {
    await userpass(request).sendReset(body(emailBody, request).email, request.ip);
    return reply.code(204).send();
  });
  app.post(`${provider}/reset`, async (request, reply) => {
    const { token, tokenId, password } = body(resetBody, request);
    await userpass(request).reset(token, tokenId, password);
    return reply.code(204).send();
  });
  app.post(`${provider}/reset/call`, async (request, reply) => {
    const { email, password, arguments: args } = body(resetCallBody, request);
    await userpass(request).callReset(email, password, args, request.ip);
    return reply.code(204).send();
  });

  app.post(`${provider}/login`, async (request) => {
    const name = providerName(request);
    const link = (request.query as { link?: string }).link === 'true';
    const login = body(loginBodySchema, request) as Record<string, unknown> & z.infer<typeof loginBodySchema>;
    try {
      if (link) return await auth.link(requireBearer(request), name, login, request.ip);
      if (auth.providers.isAnonymous(name)) await deps.quotas.hitAddress('anon', request.ip);
      return await auth.login(name, login, login.options?.device?.deviceId, request.ip);
    } catch (error) {
      // The client hears "unauthorized"; the operator's log says why (never the credential).
      if (error instanceof RefusedLogin)
        request.log.info({ provider: name, reason: error.reason }, 'login refused');
      throw error;
    }
  });

  app.get(`${API_PREFIX}/auth/profile`, async (request) => auth.profile(requireBearer(request)));

  app.post(`${API_PREFIX}/auth/session`, async (request, reply) => {
    const token = bearerToken(request.headers.authorization);
    if (!token)
      throw new AppError(401, ErrorCode.InvalidSession, 'invalid session: failed to find refresh token');
    return reply.code(201).send(await auth.refresh(token));
  });
  app.delete(`${API_PREFIX}/auth/session`, async (request, reply) => {
    await auth.logout(bearerToken(request.headers.authorization));
    return reply.code(204).send();
  });
  app.delete(`${API_PREFIX}/auth/delete`, async (request, reply) => {
    await auth.deleteUser(requireBearer(request));
    return reply.code(204).send();
  });

  // User API keys: authorized by the refresh token, as realm-web and Realm Core send it.
  const keys = `${API_PREFIX}/auth/api_keys`;
  const session = async (request: FastifyRequest) => {
    if (!auth.providers.has('api-key'))
      throw new AppError(404, ErrorCode.AuthProviderNotFound, "authentication provider not found: 'api-key'");
    return auth.sessions.find(requireBearer(request));
  };
  const keyId = (request: FastifyRequest) => (request.params as { id: string }).id;
  app.post(keys, async (request, reply) => {
    const { userId } = await session(request);
    const user = await auth.users.require(userId);
    if (user.identities.every((identity) => identity.provider_type === 'anon-user'))
      throw new AppError(403, ErrorCode.InvalidParameter, 'anonymous users cannot create API keys');
    const { name } = parseOr400(apiKeyBody, request.body ?? {});
    return reply.code(201).send(await auth.providers.apiKeys.create(userId, name));
  });
  app.get(keys, async (request) => auth.providers.apiKeys.list((await session(request)).userId));
  app.get(`${keys}/:id`, async (request) =>
    auth.providers.apiKeys.get((await session(request)).userId, keyId(request)),
  );
  for (const [action, disabled] of [
    ['enable', false],
    ['disable', true],
  ] as const) {
    app.put(`${keys}/:id/${action}`, async (request, reply) => {
      const { userId, apiKeyId } = await session(request);
      await auth.providers.apiKeys.setDisabled(userId, keyId(request), disabled, apiKeyId);
      return reply.code(204).send();
    });
  }
  app.delete(`${keys}/:id`, async (request, reply) => {
    const { userId, apiKeyId } = await session(request);
    await auth.providers.apiKeys.delete(userId, keyId(request), apiKeyId);
    return reply.code(204).send();
  });
}

/** A registration's e-mail and password, refused with App Services' own messages. */
function registration(value: unknown): { email: string; password: string } {
  const parsed = registerBodySchema.safeParse(value);
  if (parsed.success) return parsed.data;
  const field = parsed.error.issues[0]?.path[0];
  throw new AppError(
    400,
    ErrorCode.BadRequest,
    field === 'password' ? Messages.passwordLength : Messages.emailInvalid,
  );
}

/** The bearer token, or 401 as App Services answered a request without one. */
function requireBearer(request: FastifyRequest): string {
  const token = bearerToken(request.headers.authorization);
  if (!token) throw new AppError(401, ErrorCode.InvalidSession, 'must authenticate first');
  return token;
}
