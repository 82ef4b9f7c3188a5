/**
 * EJSON helpers. realm-web sends canonical EJSON and accepts canonical or relaxed back;
 * the `user_data` claim is canonical, as Atlas emits it.
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
