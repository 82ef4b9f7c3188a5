/**
 * Request parsing and replies shared by every route: one zod-issue → error rule, one error
 * body, one EJSON reply. Routes throw AppError; the app's error handler renders it here.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { AppError, ErrorCode, firstIssueText, toCanonicalEJSONText } from '../protocol/index.js';

/**
 * The value if it fits the schema, else 400 InvalidParameter naming the first problem: the
 * server's one zod-issue → error rule (`label: path: message`, e.g. `find: query: …`).
 */
export function parseOr400<T>(schema: z.ZodType<T>, value: unknown, label?: string): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new AppError(400, ErrorCode.InvalidParameter, firstIssueText(result.error, label));
}

export function sendEJSON(reply: FastifyReply, value: unknown) {
  return reply.type('application/json').send(toCanonicalEJSONText(value));
}

export function sendError(reply: FastifyReply, error: AppError) {
  return reply.code(error.status).type('application/json').send(error.toBody());
}

/** The path parameter `:appId` must name this app (App Services' answer otherwise). */
export function checkAppId(request: FastifyRequest, appId: string): void {
  const given = (request.params as { appId?: string }).appId;
  if (given !== appId)
    throw new AppError(404, ErrorCode.AppNotFound, `cannot find app using Client App ID '${given}'`);
}
