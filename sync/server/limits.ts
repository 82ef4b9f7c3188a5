/**
 * Request limits (docs/security.md "Request limits"): a bounded cost for every client request.
 * Everything here runs before MongoDB sees the request, so a refused request costs the database
 * nothing; the refusal is a 400 naming the limit (never retried). `maxTimeMS` bounds what passes.
 */
import { BSONRegExp, MongoServerError } from 'mongodb';
import safeRegex from 'safe-regex2';
import { AppError, ErrorCode, isPlainObject } from '../protocol/index.js';

export interface RequestLimits {
  /** Server-side time limit of every database operation made for a client. */
  maxTimeMS: number;
  /** Nesting depth of filters, updates, pipelines and stored documents. */
  maxDepth: number;
  maxPipelineStages: number;
  /** Elements of one `$in`, `$nin` or `$all` array. */
  maxInArray: number;
  maxRegexLength: number;
  /** false: `$regex` (and regex values) refused in every client filter. */
  allowRegex: boolean;
}

export const DEFAULT_LIMITS: RequestLimits = {
  maxTimeMS: 5000,
  maxDepth: 32,
  maxPipelineStages: 20,
  maxInArray: 1000,
  maxRegexLength: 256,
  allowRegex: true,
};

export function limitError(limit: string, message: string): AppError {
  return new AppError(400, ErrorCode.RequestLimitExceeded, `request limit ${limit}: ${message}`);
}

/** Back-references make even a linear-looking pattern exponential in a backtracking engine. */
const BACKREFERENCE = /\\[1-9]|\\k</;
/**
 * A repeated group with alternatives, e.g. `(a|a)*`: overlapping alternatives backtrack
 * exponentially too, and safe-regex2 (star height only) does not see it.
 */
const REPEATED_ALTERNATION = /\([^()]*\|[^()]*\)(?:[*+]|\{\d*,)/;

/**
 * Refuses a pattern that is too long, uses back-references or can backtrack catastrophically
 * (star height > 1, judged by safe-regex2). Exported for the push issue's watch() filter.
 */
export function assertSafeRegex(pattern: string, limits: RequestLimits = DEFAULT_LIMITS): void {
  if (!limits.allowRegex) throw limitError('allowRegex', '$regex is not allowed for clients');
  if (pattern.length > limits.maxRegexLength)
    throw limitError('maxRegexLength', `pattern longer than ${limits.maxRegexLength} characters`);
  if (BACKREFERENCE.test(pattern)) throw limitError('safeRegex', 'back-references are not allowed');
  if (REPEATED_ALTERNATION.test(pattern))
    throw limitError('safeRegex', 'a repeated group with alternatives can backtrack catastrophically');
  let safe: boolean;
  try {
    safe = safeRegex(pattern);
  } catch {
    safe = false;
  }
  if (!safe) throw limitError('safeRegex', 'the pattern can backtrack catastrophically (nested quantifiers)');
}

function regexSource(value: unknown): string | undefined {
  if (value instanceof RegExp) return value.source;
  if (value instanceof BSONRegExp) return value.pattern;
  // Duck-typed too: the ESM and CJS builds of bson each have their own classes.
  if ((value as { _bsontype?: unknown } | null)?._bsontype === 'BSONRegExp')
    return String((value as { pattern: unknown }).pattern);
  return undefined;
}

const ARRAY_OPERATORS = new Set(['$in', '$nin', '$all']);
/** Aggregation expressions that take a regex as `{ regex: '...' }`. */
const REGEX_EXPRESSIONS = new Set(['$regexMatch', '$regexFind', '$regexFindAll']);

/**
 * Checks a filter, update or pipeline: nesting depth, `$in`/`$nin`/`$all` sizes and every regex
 * (`$regex` strings, RegExp and BSONRegExp values, at any depth — so `$match` inside `$facet` too).
 */
export function assertQueryWithinLimits(value: unknown, where: string, limits: RequestLimits): void {
  walk(value, 0);
  function walk(node: unknown, depth: number): void {
    const source = regexSource(node);
    if (source !== undefined) {
      assertSafeRegex(source, limits);
      return;
    }
    const isArray = Array.isArray(node);
    if (!isArray && !isPlainObject(node)) return;
    if (depth >= limits.maxDepth)
      throw limitError('maxDepth', `${where} is nested deeper than ${limits.maxDepth} levels`);
    if (isArray) {
      for (const item of node) walk(item, depth + 1);
      return;
    }
    for (const [key, child] of Object.entries(node as Record<string, unknown>)) {
      if (key === '$regex') {
        if (typeof child === 'string') assertSafeRegex(child, limits);
        else walk(child, depth + 1);
        continue;
      }
      if (REGEX_EXPRESSIONS.has(key) && isPlainObject(child) && typeof child.regex === 'string')
        assertSafeRegex(child.regex, limits);
      if (ARRAY_OPERATORS.has(key) && Array.isArray(child) && child.length > limits.maxInArray)
        throw limitError('maxInArray', `${key} in ${where} has more than ${limits.maxInArray} values`);
      walk(child, depth + 1);
    }
  }
}

/** Documents to store: MongoDB itself allows 100 levels; we keep every database's answer the same. */
export function assertDocumentDepth(value: unknown, where: string, limits: RequestLimits): void {
  walk(value, 0);
  function walk(node: unknown, depth: number): void {
    const isArray = Array.isArray(node);
    if (!isArray && !isPlainObject(node)) return;
    if (depth >= limits.maxDepth)
      throw limitError('maxDepth', `${where} is nested deeper than ${limits.maxDepth} levels`);
    for (const child of isArray ? node : Object.values(node as Record<string, unknown>))
      walk(child, depth + 1);
  }
}

export function assertPipelineWithinLimits(pipeline: unknown[], limits: RequestLimits): void {
  if (pipeline.length > limits.maxPipelineStages)
    throw limitError('maxPipelineStages', `pipeline has more than ${limits.maxPipelineStages} stages`);
  assertQueryWithinLimits(pipeline, 'pipeline', limits);
}

/** MaxTimeMSExpired: the operation was cut off by maxTimeMS. */
export function isTimeLimitError(error: unknown): boolean {
  return error instanceof MongoServerError && (error.code === 50 || error.codeName === 'MaxTimeMSExpired');
}

/** Transient: the engine keeps its edit batch and sends it again. */
export function timeLimitError(): AppError {
  return new AppError(
    503,
    ErrorCode.ExecutionTimeLimitExceeded,
    'the database operation exceeded its time limit (maxTimeMS); try again later',
  );
}

/**
 * Run on the raw JSON of a data API call, before EJSON decoding: decoding a 200,000-value `$in`
 * alone blocks the event loop for a few hundred ms, i.e. every other user's request.
 */
export function assertArraySizesBeforeDecoding(value: unknown, limits: RequestLimits): void {
  walk(value, 0);
  function walk(node: unknown, depth: number): void {
    // Deeper structures are refused by maxDepth after decoding; no need to walk them here.
    if (depth > limits.maxDepth + 4 || node === null || typeof node !== 'object') return;
    if (Array.isArray(node)) {
      for (const item of node) walk(item, depth + 1);
      return;
    }
    for (const [key, child] of Object.entries(node)) {
      if (ARRAY_OPERATORS.has(key) && Array.isArray(child) && child.length > limits.maxInArray)
        throw limitError('maxInArray', `${key} has more than ${limits.maxInArray} values`);
      walk(child, depth + 1);
    }
  }
}

/** Where each driver method takes its options (index of the argument). */
/** Where each collection method takes its options (for proxies that add one to every call). */
const OPTIONS_ARGUMENT: Record<string, number> = {
  find: 1,
  findOne: 1,
  countDocuments: 1,
  estimatedDocumentCount: 0,
  distinct: 2,
  aggregate: 1,
  insertOne: 1,
  insertMany: 1,
  updateOne: 2,
  updateMany: 2,
  replaceOne: 2,
  deleteOne: 1,
  deleteMany: 1,
  findOneAndUpdate: 2,
  findOneAndReplace: 2,
  findOneAndDelete: 1,
};

/**
 * The collection with `maxTimeMS` on every read and write (the caller's own, if smaller, wins):
 * for database calls made on a client's behalf by code that does not pass it itself (functions'
 * `context.services`, the auth store, quotas, the login throttle). The driver's `timeoutMS`
 * (CSOT) would be the library's way, but set on a Db or collection it sent no maxTimeMS to
 * SecantusDB (measured), so the database itself would not stop the operation.
 */
export function withMaxTime<T extends object>(collection: T, maxTimeMS: number): T {
  return withOptions(collection, (own: { maxTimeMS?: number }) => ({
    ...own,
    maxTimeMS: Math.min(own.maxTimeMS ?? maxTimeMS, maxTimeMS),
  }));
}

/** The collection with every method's options argument (OPTIONS_ARGUMENT) passed through `change`. */
export function withOptions<T extends object, O extends object>(collection: T, change: (own: O) => O): T {
  return new Proxy(collection, {
    get(target, property) {
      const value = Reflect.get(target, property, target);
      if (typeof value !== 'function') return value;
      const at = typeof property === 'string' ? OPTIONS_ARGUMENT[property] : undefined;
      if (at === undefined) return value.bind(target);
      return (...args: unknown[]) => {
        const all = [...args];
        while (all.length < at) all.push(undefined);
        all[at] = change((all[at] ?? {}) as O);
        return value.apply(target, all);
      };
    },
  });
}

/** A database whose collections are all `withMaxTime`. */
export function dbWithMaxTime<T extends { collection(name: string): object }>(db: T, maxTimeMS: number): T {
  return new Proxy(db, {
    get(target, property) {
      const value = Reflect.get(target, property, target);
      if (property !== 'collection' || typeof value !== 'function') {
        return typeof value === 'function' ? value.bind(target) : value;
      }
      return (...args: unknown[]) => withMaxTime(value.apply(target, args), maxTimeMS);
    },
  });
}
