/**
 * What a request may put into MongoDB. Checked before the driver sees it, because a value the
 * database cannot take can cost more than that request: on some MongoDB-wire servers it drops
 * the connection, and the driver then clears the pool that every other user's request shares.
 * Messages name the path and the type, never the value (request content is never echoed to logs).
 */
import { AppError, ErrorCode, isPlainObject } from '../protocol/index.js';

const INT32 = /^-?(0|[1-9][0-9]*)$/;
const DECIMAL = /^-?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?$/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const HEX24 = /^[0-9a-fA-F]{24}$/;
const MAX_DEPTH = 200;

function bad(path: string, what: string): AppError {
  return new AppError(400, ErrorCode.BadRequest, `invalid EJSON at ${path || '(root)'}: ${what}`);
}

function checkLong(text: unknown, path: string): void {
  if (typeof text !== 'string' || !INT32.test(text)) throw bad(path, '$numberLong must be an integer string');
  const n = BigInt(text);
  if (n > 9223372036854775807n || n < -9223372036854775808n) throw bad(path, '$numberLong out of range');
}

/** Rejects EJSON wrappers that bson would decode into a wrong value instead of an error. */
export function assertWellFormedEJSON(value: unknown, path = '', depth = 0): void {
  if (depth > MAX_DEPTH) throw bad(path, 'nested too deeply');
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries())
      assertWellFormedEJSON(item, path ? `${path}.${i}` : String(i), depth + 1);
    return;
  }
  if (!isPlainObject(value)) return;
  const v = value as Record<string, unknown>;
  if ('$numberInt' in v) {
    const text = v.$numberInt;
    if (
      typeof text !== 'string' ||
      !INT32.test(text) ||
      Math.abs(Number(text)) > 2 ** 31 - (text.startsWith('-') ? 0 : 1)
    )
      throw bad(path, '$numberInt must be a 32-bit integer string');
    return;
  }
  if ('$numberLong' in v && Object.keys(v).length === 1) {
    checkLong(v.$numberLong, path);
    return;
  }
  if ('$numberDouble' in v) {
    const text = v.$numberDouble;
    if (text === 'NaN' || text === 'Infinity' || text === '-Infinity')
      throw bad(path, 'NaN and Infinity are not supported');
    if (typeof text !== 'string' || !DECIMAL.test(text))
      throw bad(path, '$numberDouble must be a number string');
    return;
  }
  if ('$date' in v) {
    const d = v.$date;
    if (typeof d === 'string') {
      if (!Number.isFinite(Date.parse(d))) throw bad(path, '$date is not a valid date');
    } else if (typeof d === 'number') {
      if (!Number.isFinite(d)) throw bad(path, '$date is not a valid date');
    } else if (isPlainObject(d) && Object.keys(d).length === 1 && '$numberLong' in d) {
      checkLong((d as Record<string, unknown>).$numberLong, path);
    } else throw bad(path, '$date is not a valid date');
    return;
  }
  if ('$binary' in v) {
    const b = v.$binary;
    if (!isPlainObject(b)) throw bad(path, '$binary must be { base64, subType }');
    const { base64, subType } = b as Record<string, unknown>;
    if (typeof base64 !== 'string' || !BASE64.test(base64)) throw bad(path, '$binary.base64 is not base64');
    if (typeof subType !== 'string' || !/^[0-9a-fA-F]{1,2}$/.test(subType))
      throw bad(path, '$binary.subType must be one or two hex digits');
    const n = Number.parseInt(subType, 16);
    // 0x00–0x09 are defined, 0x80–0xff are user-defined; the rest is reserved.
    if (n > 0x09 && n < 0x80) throw bad(path, '$binary.subType is reserved');
    return;
  }
  if ('$oid' in v && (typeof v.$oid !== 'string' || !HEX24.test(v.$oid)))
    throw bad(path, '$oid must be 24 hex digits');
  if ('$symbol' in v && typeof v.$symbol !== 'string') throw bad(path, '$symbol must be a string');
  if ('$regularExpression' in v) {
    const r = v.$regularExpression;
    if (
      !isPlainObject(r) ||
      typeof (r as { pattern?: unknown }).pattern !== 'string' ||
      typeof (r as { options?: unknown }).options !== 'string'
    )
      throw bad(path, '$regularExpression must be { pattern, options }');
    if (!/^[imsux]*$/.test((r as { options: string }).options))
      throw bad(path, 'unknown regular expression options');
    return;
  }
  for (const [key, child] of Object.entries(v))
    assertWellFormedEJSON(child, path ? `${path}.${key}` : key, depth + 1);
}

/** BSON types this server does not take from clients (the database, or some of them, refuse them). */
const UNSUPPORTED: Record<string, string> = {
  MinKey: 'MinKey',
  MaxKey: 'MaxKey',
  Code: 'JavaScript code',
  BSONSymbol: 'symbol',
  Symbol: 'symbol',
  DBRef: 'DBRef',
  Decimal128: 'Decimal128',
};

/** Refuses, with a 400, decoded values of types we do not support anywhere in a request. */
export function assertSupportedValues(value: unknown, path = '', depth = 0): void {
  if (depth > MAX_DEPTH) throw bad(path, 'nested too deeply');
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'number' && !Number.isFinite(value)) throw unsupported(path, 'NaN or Infinity');
    return;
  }
  if (value instanceof Date) {
    if (!Number.isFinite(value.getTime())) throw unsupported(path, 'an invalid date');
    return;
  }
  const type = (value as { _bsontype?: unknown })._bsontype;
  if (typeof type === 'string') {
    if (Object.hasOwn(UNSUPPORTED, type)) throw unsupported(path, UNSUPPORTED[type] as string);
    if (type === 'Double' && !Number.isFinite((value as { value: number }).value))
      throw unsupported(path, 'NaN or Infinity');
    return;
  }
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries())
      assertSupportedValues(item, path ? `${path}.${i}` : String(i), depth + 1);
    return;
  }
  for (const [key, child] of Object.entries(value))
    assertSupportedValues(child, path ? `${path}.${key}` : key, depth + 1);
}

function unsupported(path: string, what: string): AppError {
  return new AppError(
    400,
    ErrorCode.InvalidParameter,
    `${path || 'value'}: ${what} values are not supported`,
  );
}
