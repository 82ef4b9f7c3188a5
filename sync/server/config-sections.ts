/**
 * Sections of the server configuration with a life of their own: an imported app's rules and
 * authentication triggers (what `npm run import` writes), and the per-user/per-address quotas.
 * config.ts assembles them.
 */
import { z } from 'zod';
import { assertRequestLevel } from './role-expressions.js';

export const port = z.coerce.number().int().min(0).max(65535);
export const seconds = z.coerce.number().int().min(1);
export const bool = z.union([
  z.boolean(),
  z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1'),
]);

/** One role of a collection rule (rules.ts ConfiguredRule). */
const configuredRole = z.object({
  when: z
    .record(z.string(), z.unknown())
    .superRefine((expression, ctx) => {
      try {
        assertRequestLevel(expression);
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: (error as Error).message });
      }
    })
    .optional(),
  ownerField: z.string().min(1).optional(),
  read: z.boolean(),
  write: z.boolean(),
  insert: z.boolean(),
  delete: z.boolean(),
  fields: z
    .object({
      fields: z.record(z.string(), z.object({ read: z.boolean(), write: z.boolean() })),
      additional: z.object({ read: z.boolean(), write: z.boolean() }),
    })
    .optional(),
});

/**
 * Rules per "db.collection", as `npm run import` writes them from an App Services app's rules
 * (rules.ts ConfiguredRule); checked before the custom data and open-collection defaults.
 */
export const collectionRulesSchema = z
  .record(
    z.string().regex(/^([^.]+\..+|\*)$/, 'keys are "database.collection" (or "*": every other)'),
    z.union([configuredRole, z.array(configuredRole).min(1)]),
  )
  .default({});

/** App Services authentication triggers: the function runs at that event (with its authEvent). */
export const authTriggersSchema = z
  .array(
    z.object({
      name: z.string(),
      operationType: z.enum(['CREATE', 'LOGIN', 'DELETE']),
      functionName: z.string().min(1),
      /** Provider types it fires for; empty: all. */
      providers: z.array(z.string()).default([]),
    }),
  )
  .default([]);

/** Per-user and per-address limits (sync/server/quotas.ts, docs/security.md). */
export const quotasSchema = z
  .object({
    maxDocumentsPerRequest: z.coerce.number().int().min(1).default(1000),
    maxBytesPerRequest: z.coerce
      .number()
      .int()
      .min(1024)
      .default(1024 * 1024),
    maxDocumentsPerUser: z.coerce.number().int().min(1).default(10_000),
    maxBytesPerUser: z.coerce
      .number()
      .int()
      .min(1024)
      .default(16 * 1024 * 1024),
    registrationsPerAddressPerHour: z.coerce.number().int().min(0).default(300),
    anonymousLoginsPerAddressPerHour: z.coerce.number().int().min(0).default(300),
    /** Confirmation and reset mails or function runs, per address and per account. */
    mailsPerAddressPerHour: z.coerce.number().int().min(0).default(20),
    mailsPerAccountPerHour: z.coerce.number().int().min(0).default(5),
    /**
     * Refused `functions/call` requests (400, 403, 404: one each; refused by the request limits
     * or 413: half of it) per user per minute; then 429 for the rest of the minute, each 429
     * held `refusedRequestsHoldMs` first (sync/server/refusals; 0: no limit).
     */
    refusedRequestsPerUserPerMinute: z.coerce.number().int().min(0).default(30),
    refusedRequestsHoldMs: z.coerce.number().int().min(0).max(10_000).default(1000),
  })
  .prefault({});
