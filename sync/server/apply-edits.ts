/**
 * `applyCustomDataEdits(batch)`: applies one device's outbox batch to the caller's custom data
 * document exactly once, in one atomic update (no transaction needed). The batch and the device's
 * new sequence number are written in one update whose filter checks the old sequence number
 * (compare-and-set), so a re-sent batch is recognised and skipped, and two concurrent sends of
 * one device cannot both apply. The bookkeeping lives in the same document, hidden from users.
 */
import { type Document, ObjectId } from 'mongodb';
import {
  AppError,
  applyEdit,
  type EditBatch,
  type EditBatchResult,
  ErrorCode,
  editBatchSchema,
  type FieldBefore,
  readPath,
  SYNC_BOOKKEEPING_FIELD,
} from '../protocol/index.js';
import { type CustomDataStore, withoutBookkeeping } from './custom-data.js';
import { assertNewDocumentSize, sizeCondition } from './custom-data-size.js';
import { classifyError, PERMANENT_WRITE_CODES } from './db-errors.js';
import { parseOr400 } from './http.js';

const MAX_ATTEMPTS = 8;

export async function applyEdits(
  customData: CustomDataStore,
  userId: string,
  input: unknown,
): Promise<EditBatchResult> {
  try {
    return await applyOnce(customData, userId, input);
  } catch (error) {
    if (error instanceof AppError) throw error;
    // Errors the same batch will always get (conflicting paths, $inc on a string, a path through
    // a scalar, a document too large) are the batch's fault: 400, and the client sets it aside.
    // Anything else from the database (a dropped connection, failover, timeout, an unknown
    // server code) is transient: 503 makes the client keep the batch and re-send it unchanged.
    const code = Number((error as { code?: unknown }).code);
    if (classifyError(error) === 'request' && PERMANENT_WRITE_CODES.has(code))
      throw new AppError(
        400,
        ErrorCode.InvalidParameter,
        `edits cannot be applied: ${(error as Error).message}`,
      );
    if (classifyError(error) === 'internal') throw error;
    throw new AppError(
      503,
      ErrorCode.ServiceUnavailable,
      `database unavailable, retry later: ${(error as Error).message}`,
    );
  }
}

async function applyOnce(
  customData: CustomDataStore,
  userId: string,
  input: unknown,
): Promise<EditBatchResult> {
  const batch = parseOr400(editBatchSchema, input);
  for (const op of batch.ops) customData.assertEditable(op.path);
  const seqPath = `${SYNC_BOOKKEEPING_FIELD}.${batch.deviceId}`;

  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const doc = await customData.findRaw(userId);
    const applied = Number(readPath(doc ?? {}, seqPath).value ?? 0);
    if (batch.seq <= applied && doc)
      return { appliedSeq: applied, duplicate: true, before: {}, data: withoutBookkeeping(doc) };
    if (batch.seq <= applied) return { appliedSeq: applied, duplicate: true, before: {} };
    const before = Object.fromEntries(batch.ops.map((op) => [op.path, fieldBefore(null, op.path)]));

    if (!doc) {
      const fresh: Document = {};
      for (const op of batch.ops) applyEdit(fresh, op.op, op.path, op.op === 'unset' ? undefined : op.value);
      fresh[SYNC_BOOKKEEPING_FIELD] = { [batch.deviceId]: batch.seq };
      assertNewDocumentSize(
        { _id: new ObjectId(), [customData.userIdField]: userId, ...fresh },
        customData.maxDocumentBytes,
      );
      // An upsert that inserts only when the user still has no document: two first batches
      // (two devices) do not create two documents; the loser finds one and goes round again.
      const res = await customData.collection.updateOne(
        { [customData.userIdField]: userId },
        { $setOnInsert: fresh },
        { upsert: true, maxTimeMS: customData.maxTimeMS },
      );
      if (res.upsertedCount === 1) {
        const data = { _id: res.upsertedId, [customData.userIdField]: userId, ...fresh };
        return { appliedSeq: batch.seq, duplicate: false, before, data: withoutBookkeeping(data) };
      }
      continue;
    }

    // The pre-image comes from the same atomic operation, so "before" is exactly what this
    // batch overwrote (another writer's change in between is seen, never lost silently).
    // The size limit is part of the same atomic update (custom-data-size.ts): an oversized result
    // never exists, so nothing has to be undone (undoing could erase another device's batch).
    const sized = await sizeCondition(
      customData.collection,
      doc,
      batch.ops,
      customData.maxDocumentBytes,
      customData.maxTimeMS,
      attempt > 0,
    );
    const pre = await customData.collection.findOneAndUpdate(
      { _id: doc._id, [seqPath]: applied === 0 ? { $exists: false } : applied, ...sized },
      toUpdate(batch, seqPath),
      { returnDocument: 'before', maxTimeMS: customData.maxTimeMS },
    );
    if (pre) {
      const exact = Object.fromEntries(batch.ops.map((op) => [op.path, fieldBefore(pre, op.path)]));
      // The document after this atomic update is the pre-image with the batch applied: the
      // client gets its data confirmed by this one answer (no token renewal needed).
      for (const op of batch.ops) applyEdit(pre, op.op, op.path, op.op === 'unset' ? undefined : op.value);
      return { appliedSeq: batch.seq, duplicate: false, before: exact, data: withoutBookkeeping(pre) };
    }
    // Another send of this device won the race (read again; it may now be a duplicate), or the
    // document changed or grew since it was read: read again, and measure again.
  }
  throw new AppError(409, ErrorCode.MongoDBError, 'custom data changed concurrently; retry the batch');
}

function toUpdate(batch: EditBatch, seqPath: string): Document {
  const $set: Document = { [seqPath]: batch.seq };
  const $unset: Document = {};
  const $inc: Document = {};
  for (const op of batch.ops) {
    if (op.op === 'set') $set[op.path] = op.value;
    else if (op.op === 'unset') $unset[op.path] = '';
    else $inc[op.path] = op.value;
  }
  const update: Document = { $set };
  if (Object.keys($unset).length) update.$unset = $unset;
  if (Object.keys($inc).length) update.$inc = $inc;
  return update;
}

function fieldBefore(doc: Document | null, path: string): FieldBefore {
  return doc ? readPath(doc, path) : { exists: false };
}
