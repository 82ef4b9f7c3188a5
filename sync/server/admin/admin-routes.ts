/**
 * Admin / tester API (`/admin/v1`): only when ADMIN_KEY is configured, and only with that key
 * (constant-time compare; no CORS unless origins are allowed, docs/security.md). Routes call the
 * services' methods; none reaches into a collection of another part.
 */
import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { type Document, MongoServerError, ObjectId } from 'mongodb';
import { z } from 'zod';
import { ADMIN_KEY_HEADER, ADMIN_PREFIX, AppError, ErrorCode, fromEJSON } from '../../protocol/index.js';
import { checkAdminOrigin } from '../admin-guard.js';
import type { AuthService } from '../auth/index.js';
import { assertSupportedValues, assertWellFormedEJSON } from '../bson-values.js';
import type { CustomDataStore } from '../custom-data.js';
import { patchOwnDocument } from '../functions/index.js';
import { parseOr400, sendEJSON } from '../http.js';

export interface AdminDeps {
  adminKey: string | undefined;
  adminAllowedOrigins: readonly string[];
  auth: AuthService;
  customData: CustomDataStore;
  accessTokenTtl: { get(): number; set(seconds: number): Promise<void> };
  /** This instance's counters (`GET /admin/v1/stats`): open change streams, subscribers, … */
  stats: () => Record<string, unknown>;
}

const patchBodySchema = z.object({
  set: z.record(z.string(), z.unknown()).default({}),
  unset: z.array(z.string()).default([]),
});
const ttlBodySchema = z.object({ seconds: z.number().int().min(1).max(31_536_000) });
const serverKeyBodySchema = z.object({ name: z.string() });

export function registerAdminRoutes(app: FastifyInstance, deps: AdminDeps): void {
  const adminKey = deps.adminKey;
  if (!adminKey) return;
  const expected = Buffer.from(adminKey);
  app.register(
    async (admin) => {
      admin.addHook('onRequest', async (request) => {
        checkAdminOrigin(request.headers.origin, deps.adminAllowedOrigins);
        const given = Buffer.from(String(request.headers[ADMIN_KEY_HEADER] ?? ''));
        if (given.length !== expected.length || !timingSafeEqual(given, expected))
          throw new AppError(
            403,
            ErrorCode.AdminKeyRequired,
            `a valid ${ADMIN_KEY_HEADER} header is required`,
          );
      });
      const idParam = (request: FastifyRequest, what = 'user id') => {
        const { id } = request.params as { id: string };
        if (!ObjectId.isValid(id))
          throw new AppError(400, ErrorCode.InvalidParameter, `${what} must be a 24-hex ObjectId`);
        return id;
      };

      admin.get('/users', async () => deps.auth.users.list(1000));
      admin.post('/users/:id/revoke-sessions', async (request) => ({
        revoked: await deps.auth.revokeSessions(idParam(request)),
      }));
      admin.get('/users/:id/custom-data', async (request, reply) =>
        sendEJSON(reply, await deps.customData.find(idParam(request))),
      );
      admin.patch('/users/:id/custom-data', async (request, reply) => {
        const id = idParam(request);
        assertWellFormedEJSON(request.body ?? {});
        const body = parseOr400(patchBodySchema, fromEJSON(request.body ?? {}, true));
        assertSupportedValues(body.set, 'set');
        for (const key of [...Object.keys(body.set), ...body.unset]) deps.customData.assertEditable(key);
        try {
          await patchOwnDocument(deps.customData, id, body.set as Document, body.unset, {
            maxBytes: deps.customData.maxDocumentBytes,
          });
        } catch (error) {
          // e.g. conflicting paths ("a" and "a.b"): the request's fault, not the server's.
          if (error instanceof MongoServerError)
            throw new AppError(400, ErrorCode.MongoDBError, error.message);
          throw error;
        }
        return sendEJSON(reply, await deps.customData.find(id));
      });
      admin.delete('/users/:id/custom-data', async (request) => ({
        deletedCount: await deps.customData.deleteAll(idParam(request)),
      }));

      // Server API keys: each logs in (`api-key` provider) as a server user of its own.
      admin.post('/api-keys', async (request, reply) => {
        const { name } = parseOr400(serverKeyBodySchema, request.body ?? {});
        return reply.code(201).send(await deps.auth.createServerApiKey(name));
      });
      admin.get('/api-keys', async () => deps.auth.providers.apiKeys.listServer());
      admin.delete('/api-keys/:id', async (request, reply) => {
        await deps.auth.deleteServerApiKey(idParam(request, 'key id'));
        return reply.code(204).send();
      });

      admin.get('/stats', async () => deps.stats());
      admin.get('/settings/access-token-ttl', async () => ({ seconds: deps.accessTokenTtl.get() }));
      admin.put('/settings/access-token-ttl', async (request) => {
        const { seconds } = parseOr400(ttlBodySchema, request.body ?? {});
        await deps.accessTokenTtl.set(seconds);
        return { seconds };
      });
    },
    { prefix: ADMIN_PREFIX },
  );
}
