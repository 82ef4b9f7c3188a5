/**
 * The custom data document travels inside every access token: past a few hundred KB no token
 * fits a request header and the user cannot log in. Writes through our API may not take the
 * document over `customData.maxDocumentBytes`; a document written elsewhere that is too big
 * still gets its user a token, without the data (claimFor in custom-data.ts).
 */
import { BSON, type Collection, type Document, type MongoClient, MongoServerError } from 'mongodb';
import { AppError, applyEdit, ErrorCode } from '../protocol/index.js';
import { withOptions } from './limits.js';

export const DEFAULT_MAX_CUSTOM_DATA_BYTES = 16 * 1024;

function tooLarge(bytes: number, limit: number): AppError {
  return new AppError(
    400,
    ErrorCode.InvalidParameter,
    `custom user data would be ${bytes} bytes; the limit is ${limit} (it is copied into every access token)`,
  );
}

/**
 * Runs a write on the user's documents in a transaction and measures them before it commits: a
 * write that leaves a document over the limit is aborted, so nothing is ever undone by hand (an
 * undo could erase another device's write made in between). Every default database has
 * transactions (the embedded mongod is a one-member replica set; SecantusDB); on a MongoDB
 * without them (a standalone at MONGODB_URI) it falls back to undoing an oversized write.
 */
export async function guardDocumentSize<T>(
  client: MongoClient,
  coll: Collection<Document>,
  field: string,
  userId: string,
  limit: number,
  write: (coll: Collection<Document>) => Promise<T>,
  maxTimeMS: number,
): Promise<T> {
  const session = client.startSession();
  try {
    let result: T | undefined;
    await session.withTransaction(async () => {
      // The data API's ops run inside the transaction: `session` goes into each call's options.
      result = await write(withOptions(coll, (own: object) => ({ ...own, session })));
      const after = await coll.find({ [field]: userId }, { session, maxTimeMS }).toArray();
      const over = after.find((d) => BSON.calculateObjectSize(d) > limit);
      if (over) throw tooLarge(BSON.calculateObjectSize(over), limit);
    });
    return result as T;
  } catch (error) {
    if (!(error instanceof MongoServerError && NO_TRANSACTIONS.test(error.message))) throw error;
  } finally {
    await session.endSession();
  }
  return guardByUndo(coll, field, userId, limit, () => write(coll), maxTimeMS);
}

/** What a standalone mongod answers the first operation of a transaction. */
const NO_TRANSACTIONS = /Transaction numbers are only allowed|transactions are not supported/i;

/**
 * Without transactions: runs the write and undoes it when it left a document over the limit.
 * The pre-image is read first; a concurrent write of the same user between the two can be
 * undone along with it (the user's own race, reported to them as this 400).
 */
async function guardByUndo<T>(
  coll: Collection<Document>,
  field: string,
  userId: string,
  limit: number,
  write: () => Promise<T>,
  maxTimeMS: number,
): Promise<T> {
  const before = new Map(
    (await coll.find({ [field]: userId }, { maxTimeMS }).toArray()).map((d) => [String(d._id), d]),
  );
  const result = await write();
  const after = await coll.find({ [field]: userId }, { maxTimeMS }).toArray();
  const over = after.find((d) => BSON.calculateObjectSize(d) > limit);
  if (!over) return result;
  for (const doc of after) {
    const previous = before.get(String(doc._id));
    if (!previous) await coll.deleteOne({ _id: doc._id }, { maxTimeMS });
    else if (BSON.calculateObjectSize(doc) > limit)
      await coll.replaceOne({ _id: doc._id }, previous, { maxTimeMS });
  }
  throw tooLarge(BSON.calculateObjectSize(over), limit);
}

/** One edit of a $set / $unset / $inc update on a dotted path (the engine's ops, admin PATCH). */
export interface SizedEdit {
  op: 'set' | 'unset' | 'inc';
  path: string;
  value?: unknown;
}

/** Bytes one path adds at most when it is created: per segment a type byte, the name and its NUL, a sub-document's header. */
function pathBytes(path: string): number {
  let bytes = 0;
  for (const part of path.split('.')) {
    bytes += 1 + Buffer.byteLength(part) + 1 + 5;
    // `$set: {"a.1000": v}` on an array pads it with nulls up to that index.
    if (/^\d+$/.test(part)) bytes += Math.min(Number(part), 1e9) * (2 + part.length);
  }
  return bytes;
}

/**
 * An upper bound of what `edits` can add to any document, whatever it holds: a set adds at most
 * its value and its path, an $inc at most an 8-byte number, an $unset nothing.
 */
export function growthBound(edits: readonly SizedEdit[]): number {
  let bytes = 0;
  for (const e of edits) {
    if (e.op === 'unset') continue;
    bytes += pathBytes(e.path);
    bytes += e.op === 'inc' ? 8 : BSON.calculateObjectSize({ v: e.value }) - 5 - 3;
  }
  return bytes;
}

function touchesArray(doc: Document, path: string): boolean {
  let node: unknown = doc;
  for (const part of path.split('.')) {
    if (Array.isArray(node)) return true;
    if (node === null || typeof node !== 'object') return false;
    node = (node as Document)[part];
  }
  return Array.isArray(node);
}

/**
 * Filter conditions under which an update of the document `doc` (as read just before) by `edits`
 * leaves it within `limit` bytes, enforced by MongoDB in the same atomic update:
 *   - usually `$bsonSize` of the current document is at most `limit` minus the edits' growth
 *     bound: true whatever another writer did since the read, so concurrent writers (another
 *     device's batch) need no retry;
 *   - near the limit, the exact size after the edits is computed here and the update is made
 *     conditional on the whole document being unchanged since it was read (compare-and-set);
 *     the caller reads again and retries when it does not match.
 * Throws the 400 when the document after the edits would be over the limit (a write that shrinks
 * a document already over it, e.g. written elsewhere, is allowed). Never undoes anything, so no
 * other write can be lost.
 */
export async function sizeCondition(
  coll: Collection<Document>,
  doc: Document,
  edits: readonly SizedEdit[],
  limit: number,
  maxTimeMS: number,
  /** After a miss: the exact way (the read document's size, its numbers promoted, may be short). */
  exactOnly = false,
): Promise<Document> {
  const bound = growthBound(edits);
  const preSize = BSON.calculateObjectSize(doc);
  if (!exactOnly && preSize + bound <= limit)
    return { $expr: { $lte: [{ $bsonSize: '$$ROOT' }, limit - bound] } };
  // Exact types (Int32, Double, Long...), so the compare-and-set sees the stored document as is.
  const exact = await coll.findOne(
    { _id: doc._id },
    { promoteValues: false, promoteLongs: false, maxTimeMS },
  );
  if (!exact) return { _id: { $in: [] } }; // deleted meanwhile: nothing matches, the caller reads again
  const current = BSON.deserialize(BSON.serialize(exact));
  const before = BSON.calculateObjectSize(exact);
  const after = edits.some((e) => touchesArray(current, e.path))
    ? before + bound // MongoDB's array semantics differ from applyEdit's: the bound, to be safe
    : sizeAfter(current, edits);
  if (after > limit && after > before) throw tooLarge(after, limit);
  return { $expr: { $eq: ['$$ROOT', { $literal: exact }] } };
}

/** The size of `doc` after `edits`, computed here (for a new document, or the exact case). */
export function sizeAfter(doc: Document, edits: readonly SizedEdit[]): number {
  const copy = BSON.deserialize(BSON.serialize(doc));
  for (const e of edits) applyEdit(copy, e.op, e.path, e.op === 'unset' ? undefined : e.value);
  return BSON.calculateObjectSize(copy);
}

/** For a document created by a write: refuses it when over the limit. */
export function assertNewDocumentSize(doc: Document, limit: number): void {
  const size = BSON.calculateObjectSize(doc);
  if (size > limit) throw tooLarge(size, limit);
}
