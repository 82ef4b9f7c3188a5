/**
 * Conflict detection, pure: for each field of an acknowledged batch, the value the server had
 * before it (from the atomic update's pre-image) against the value the edit was based on (what
 * the user saw). A difference is another writer's change: the edit still applied (last writer
 * wins per field) and a conflict is recorded. Increments never conflict.
 */
import type { Conflict, FieldBefore } from '../model/index.js';
import type { EditBatchResult } from '../protocol/index.js';
import { type CoalescedOp, decodeValue, encodeValue, sameValue } from './edits.js';
import type { ConflictRow, NewConflict } from './sqlite/local-store.js';

/** A stored conflict as the UI contract shows it. */
export function toConflict(c: ConflictRow): Conflict {
  return {
    id: c.id,
    path: c.path,
    base: c.baseExists ? { exists: true, value: decodeValue(c.baseEJSON) } : { exists: false },
    server: c.serverExists ? { exists: true, value: decodeValue(c.serverEJSON) } : { exists: false },
    mine: { op: c.mineOp, value: decodeValue(c.mineEJSON) },
    detectedAt: c.detectedAt,
  };
}

export function detectConflicts(
  userId: string,
  ops: CoalescedOp[],
  result: EditBatchResult,
  detectedAt: number,
): NewConflict[] {
  const conflicts: NewConflict[] = [];
  for (const { op, first } of ops) {
    const before = result.before?.[op.path];
    if (!before || op.op === 'inc') continue;
    const base: FieldBefore = first.baseExists
      ? { exists: true, value: decodeValue(first.baseEJSON) }
      : { exists: false };
    if (before.exists === base.exists && (!before.exists || sameValue(before.value, base.value))) continue;
    conflicts.push({
      userId,
      path: op.path,
      baseExists: base.exists,
      baseEJSON: base.exists ? encodeValue(base.value) : null,
      serverExists: before.exists,
      serverEJSON: before.exists ? encodeValue(before.value) : null,
      mineOp: op.op,
      mineEJSON: op.op === 'set' ? encodeValue(op.value) : null,
      detectedAt,
    });
  }
  return conflicts;
}
