/**
 * The one codec for custom data values across the UI contract: relaxed EJSON (plain JSON with
 * `{ "$date": … }`, `{ "$oid": … }` … wrappers) ⇄ JavaScript/BSON values (Date, ObjectId,
 * Decimal128 …). The host encodes the engine's values with it and decodes the renderer's edits;
 * the renderer reads and checks values with it. Only bson's EJSON, which runs in browsers too.
 */
import { type Document, EJSON } from 'bson';

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
