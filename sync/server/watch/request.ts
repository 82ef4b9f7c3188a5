/** A watch request: its argument resolved to a target, its ids and filter as a predicate on events. */
import type { Document } from 'mongodb';
// sift is CommonJS without statically detectable exports: Node's ESM loader sees only its default.
import sift from 'sift';
import {
  AppError,
  ErrorCode,
  fromEJSON,
  functionCallBodySchema,
  isPlainObject,
} from '../../protocol/index.js';
import {
  asksForOwnCustomData,
  collectionWatchArgSchema,
  decodeBaasRequest,
  ownCustomDataWatchArgSchema,
} from '../../protocol/watch.js';
import { parseOr400 } from '../http.js';
import { DEFAULT_LIMITS } from '../limits.js';
import { idKey } from './events.js';
import type { Access, Predicate, WatchConfig } from './types.js';

/** What a watch request resolves to: the collection, its rule for the caller, what narrows it. */
export interface WatchTarget {
  database: string;
  collection: string;
  access: Access;
  ids?: unknown[];
  filter?: Document;
}

/**
 * The argument of a watch call, resolved: a collection (realm-web's `watch()`, under the rules
 * `accessFor` applies) or the caller's own custom data (`{ customUserData: true }`), which is the
 * configured custom data collection under the owner rule on the user ID field whatever the
 * collection rules say: it streams exactly the document the caller's token carries.
 */
export function watchTarget(
  arg: unknown,
  customData: WatchConfig['customData'],
  accessFor: (database: string, collection: string) => Access,
): WatchTarget {
  if (asksForOwnCustomData([arg])) {
    parseOr400(ownCustomDataWatchArgSchema, arg, 'watch');
    if (!customData.enabled)
      throw new AppError(400, ErrorCode.InvalidParameter, 'custom user data is not enabled on this server');
    const { database, collection, userIdField } = customData;
    return { database, collection, access: { kind: 'owner', field: userIdField, readOnly: true } };
  }
  const { database, collection, ids, filter } = parseOr400(collectionWatchArgSchema, arg, 'watch');
  if (ids && filter)
    throw new AppError(400, ErrorCode.InvalidParameter, 'watch takes ids or filter, not both');
  return { database, collection, access: accessFor(database, collection), ids, filter };
}

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

/**
 * A streaming `GET functions/call` from its `baas_request` query parameter to what it watches:
 * App Services' answers for a call that is not a watch, a service not this one, a malformed
 * request; then the target (watchTarget) and its ids/filter as a predicate.
 */
export function parseWatchRequest(
  rawQuery: unknown,
  config: WatchConfig,
  accessFor: (database: string, collection: string) => Access,
): { database: string; collection: string; access: Access; matches: Predicate } {
  const query = (rawQuery ?? {}) as { baas_request?: unknown };
  if (typeof query.baas_request !== 'string' || query.baas_request === '')
    throw new AppError(400, ErrorCode.MissingParameter, 'baas_request is required for a streaming call');
  const call = functionCallBodySchema.safeParse(decodeBaasRequest(query.baas_request));
  if (!call.success)
    throw new AppError(400, ErrorCode.BadRequest, 'baas_request must be base64 of a function call body');
  const { name, service } = call.data;
  // The own custom data stream names no service (protocol/watch.ts OWN_CUSTOM_DATA_WATCH).
  const own = name === 'watch' && asksForOwnCustomData(call.data.arguments);
  if (!service && !own)
    throw new AppError(400, ErrorCode.FunctionNotFound, `function '${name}' cannot be called as a stream`);
  if (service !== undefined && service !== config.serviceName)
    throw new AppError(404, ErrorCode.ServiceNotFound, `service not found: '${service}'`);
  if (name !== 'watch')
    throw new AppError(400, ErrorCode.ServiceCommandNotFound, `'${name}' cannot be called as a stream`);
  const args = fromEJSON<unknown[]>(call.data.arguments, true);
  if (args.length !== 1)
    throw new AppError(400, ErrorCode.InvalidParameter, 'watch takes exactly one argument object');
  const { database, collection, access, ids, filter } = watchTarget(args[0], config.customData, accessFor);
  const matches = predicateFor(ids, filter, config.maxDepth);
  return { database, collection, access, matches };
}
