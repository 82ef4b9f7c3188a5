/** A watch request: its arguments, and its ids and filter as a predicate on change events. */
import type { Document } from 'mongodb';
// sift is CommonJS without statically detectable exports: Node's ESM loader sees only its default.
import sift from 'sift';
import { z } from 'zod';
import { AppError, ErrorCode, isPlainObject } from '../../protocol/index.js';
import { DEFAULT_LIMITS } from '../limits.js';
import { idKey } from './events.js';
import type { Predicate } from './types.js';

export const watchArgsSchema = z.object({
  database: z.string().min(1).max(64),
  collection: z.string().min(1).max(255),
  ids: z.array(z.unknown()).min(1).max(1000).optional(),
  filter: z.record(z.string(), z.unknown()).optional(),
});

/**
 * Query operators a watch filter may use. $regex is refused for now: SecantusDB-style
 * catastrophic patterns would run in this process on every event.
 * TODO: allow $regex once the regex safety check of sync/server/limits.ts exists, by calling
 * it from assertWatchFilter below.
 */
const FILTER_OPERATIONS = {
  $all: sift.$all,
  $and: sift.$and,
  $elemMatch: sift.$elemMatch,
  $eq: sift.$eq,
  $exists: sift.$exists,
  $gt: sift.$gt,
  $gte: sift.$gte,
  $in: sift.$in,
  $lt: sift.$lt,
  $lte: sift.$lte,
  $mod: sift.$mod,
  $ne: sift.$ne,
  $nin: sift.$nin,
  $nor: sift.$nor,
  $not: sift.$not,
  $or: sift.$or,
  $size: sift.$size,
  $type: sift.$type,
};

export function predicateFor(
  ids: unknown[] | undefined,
  filter: Document | undefined,
  maxDepth: number = DEFAULT_LIMITS.maxDepth,
): Predicate {
  if (ids) {
    const wanted = new Set(ids.map(idKey));
    return (event) => {
      const id = (event.documentKey as Document | undefined)?._id;
      return id !== undefined && wanted.has(idKey(id));
    };
  }
  if (!filter || Object.keys(filter).length === 0) return () => true;
  assertWatchFilter(filter, 0, maxDepth);
  let test: Predicate;
  try {
    test = sift.createQueryTester(filter, { operations: FILTER_OPERATIONS }) as Predicate;
  } catch (error) {
    throw new AppError(400, ErrorCode.InvalidParameter, `watch filter: ${(error as Error).message}`);
  }
  return (event) => {
    try {
      return test(event);
    } catch {
      return false;
    }
  };
}

/** Only the operators above; no regular expressions (see FILTER_OPERATIONS), bounded depth. */
function assertWatchFilter(value: unknown, depth: number, maxDepth: number): void {
  if (depth > maxDepth)
    throw new AppError(400, ErrorCode.InvalidParameter, 'watch filter is nested too deeply');
  if (value instanceof RegExp || (value as { _bsontype?: string } | null)?._bsontype === 'BSONRegExp')
    throw new AppError(
      400,
      ErrorCode.InvalidParameter,
      'regular expressions are not allowed in watch filters yet',
    );
  if (Array.isArray(value)) {
    for (const item of value) assertWatchFilter(item, depth + 1, maxDepth);
    return;
  }
  if (!isPlainObject(value)) return;
  for (const [key, child] of Object.entries(value)) {
    if (key.startsWith('$') && !Object.hasOwn(FILTER_OPERATIONS, key)) {
      const why = key === '$regex' || key === '$options' ? ' yet' : '';
      throw new AppError(
        400,
        ErrorCode.InvalidParameter,
        `operator ${key} is not allowed in watch filters${why}`,
      );
    }
    assertWatchFilter(child, depth + 1, maxDepth);
  }
}
