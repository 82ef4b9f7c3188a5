/**
 * The outbox wire contract: a batch of edits from one device, applied by the server's built-in
 * `applyCustomDataEdits` function atomically to the user's one custom data document, exactly once.
 */
import { z } from 'zod';

/**
 * Field of the custom data document where the server keeps outbox bookkeeping (the highest
 * applied batch sequence number per device). Stripped from `user_data` and data API results.
 */
export const SYNC_BOOKKEEPING_FIELD = '_customdataDeskSync';

export const APPLY_EDITS_FUNCTION = 'applyCustomDataEdits';

/** Segments that would reach JavaScript prototypes wherever paths are walked in objects. */
const RESERVED_SEGMENTS = new Set(['__proto__', 'constructor', 'prototype']);

/** A dotted field path: segments of letters, digits, `_` and `-`, never starting with `$`. */
export const fieldPathSchema = z
  .string()
  .min(1)
  .max(200)
  .regex(
    /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/,
    'field paths are dot-separated names of letters, digits, _ and -',
  )
  .refine(
    (path) => !path.split('.').some((segment) => RESERVED_SEGMENTS.has(segment)),
    'field paths cannot use __proto__, constructor or prototype',
  );

export const editOpSchema = z.discriminatedUnion('op', [
  z.object({ op: z.literal('set'), path: fieldPathSchema, value: z.unknown() }),
  z.object({ op: z.literal('unset'), path: fieldPathSchema }),
  z.object({ op: z.literal('inc'), path: fieldPathSchema, value: z.number().finite() }),
]);
export type EditOp = z.infer<typeof editOpSchema>;
export type EditOpName = EditOp['op'];

export const editBatchSchema = z.object({
  /** Stable per installation, so that each device has its own sequence. */
  deviceId: z.string().regex(/^[A-Za-z0-9_-]{8,64}$/),
  /** The highest outbox sequence number in the batch; a batch with seq ≤ the applied one is a duplicate. */
  seq: z.number().int().positive(),
  ops: z.array(editOpSchema).min(1).max(1000),
});
export type EditBatch = z.infer<typeof editBatchSchema>;

/** The value a field had before the batch; `exists: false` when it was absent. */
export interface FieldBefore {
  exists: boolean;
  value?: unknown;
}

export interface EditBatchResult {
  /** The highest applied sequence number for the device after this call. */
  appliedSeq: number;
  /** True when the batch had already been applied (a re-send after a lost response). */
  duplicate: boolean;
  /** Per path, the value before this batch (empty for a duplicate). */
  before: Record<string, FieldBefore>;
  /** The custom data document right after this batch (or now, for a duplicate), as `user_data` carries it. */
  data?: Record<string, unknown>;
}
