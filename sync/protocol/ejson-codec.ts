/**
 * The one EJSON codec (bson's EJSON, which runs in browsers too). On the wire realm-web sends
 * canonical EJSON and accepts canonical or relaxed back; the `user_data` claim is canonical, as
 * Atlas emits it. Across the UI contract custom data values travel as relaxed EJSON: the host
 * encodes the engine's values and decodes the renderer's edits with it, the renderer reads and
 * checks values with it.
 */
import { type Document, EJSON } from 'bson';
import { AppError, ErrorCode } from './errors.js';

/** Turns parsed JSON holding EJSON wrappers into BSON values; malformed EJSON is a 400. */
export function fromEJSON<T = unknown>(value: unknown, relaxed: boolean): T {
  try {
    return EJSON.deserialize(value as Document, { relaxed }) as T;
  } catch (error) {
    throw new AppError(400, ErrorCode.BadRequest, `invalid EJSON: ${(error as Error).message}`);
  }
}

/** Serializes a value as canonical EJSON text (what Atlas puts on the wire). */
export function toCanonicalEJSONText(value: unknown): string {
  return EJSON.stringify(value === undefined ? null : (value as Document), { relaxed: false });
}

/** Canonical EJSON as a plain JSON value (e.g. for a JWT claim). */
export function toCanonicalEJSON(value: Document): Document {
  return EJSON.serialize(value, { relaxed: false });
}

/** EJSON text (canonical or relaxed) → values; `relaxed: false` keeps numbers' BSON types. */
export function parseEJSONText(text: string, relaxed = true): unknown {
  return EJSON.parse(text, { relaxed });
}

/** Values → relaxed EJSON text (e.g. to compare two values structurally). */
export function toRelaxedEJSONText(value: unknown): string {
  return EJSON.stringify(value === undefined ? null : (value as Document), { relaxed: true });
}

/** Relaxed EJSON → values; throws on a malformed wrapper (e.g. an `$oid` that is not 24 hex digits). */
export function decodeRelaxed(json: unknown): unknown {
  return EJSON.deserialize({ v: json } as Document, { relaxed: true }).v;
}

/** Values → relaxed EJSON (numbers stay JSON numbers, dates become `{ "$date": ISO text }`). */
export function encodeRelaxed(value: unknown): unknown {
  return EJSON.serialize({ v: value } as Document, { relaxed: true }).v;
}

/** A value's BSON type when it is not plain JSON data: 'Date', 'ObjectId', 'Decimal128' …; else undefined. */
export function bsonTypeOf(value: unknown): string | undefined {
  if (value instanceof Date) return 'Date';
  if (typeof value !== 'object' || value === null) return undefined;
  const type = (value as { _bsontype?: unknown })._bsontype;
  return typeof type === 'string' ? type : undefined;
}
