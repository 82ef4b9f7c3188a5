/**
 * The outbox wire contract: a batch of edits from one device, applied by the server's built-in
 * `applyCustomDataEdits` function atomically to the user's one custom data document, exactly once.
 */
import { z } from 'zod';
import {
  type EditOpName,
  type FieldBefore,
  fieldPathProblem,
  SYNC_BOOKKEEPING_FIELD,
} from '../model/index.js';

export type { EditOpName, FieldBefore };
export { SYNC_BOOKKEEPING_FIELD };

export const APPLY_EDITS_FUNCTION = 'applyCustomDataEdits';

/** A dotted field path, by the model's rule (`fieldPathProblem`). */
export const fieldPathSchema = z.string().superRefine((path, ctx) => {
  const problem = fieldPathProblem(path);
  if (problem) ctx.addIssue({ code: 'custom', message: problem.message });
});

export const editOpSchema = z.discriminatedUnion('op', [
  z.object({ op: z.literal('set'), path: fieldPathSchema, value: z.unknown() }),
  z.object({ op: z.literal('unset'), path: fieldPathSchema }),
  z.object({ op: z.literal('inc'), path: fieldPathSchema, value: z.number().finite() }),
]);
export type EditOp = z.infer<typeof editOpSchema>;
// Compile-time check: the schema's operations are exactly the model's.
const sameOps: [EditOp['op']] extends [EditOpName]
  ? [EditOpName] extends [EditOp['op']]
    ? true
    : never
  : never = true;
void sameOps;

export const editBatchSchema = z.object({
  /** Stable per installation, so that each device has its own sequence. */
  deviceId: z.string().regex(/^[A-Za-z0-9_-]{8,64}$/),
  /** The highest outbox sequence number in the batch; a batch with seq ≤ the applied one is a duplicate. */
  seq: z.number().int().positive(),
  ops: z.array(editOpSchema).min(1).max(1000),
});
export type EditBatch = z.infer<typeof editBatchSchema>;

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
