/**
 * Typed custom-data values as the UI edits them. Values cross the UI ⇄ engine contract as
 * relaxed EJSON: a number is a JSON number, a date `{ "$date": … }`. Each field has a kind; the
 * editor turns text into a value of that kind (or says why it cannot), so "14" typed as a
 * number reaches MongoDB as a number and a date stays a BSON date. Values are read with the
 * one EJSON codec (sync/protocol/ejson-codec.ts), the host's own. Pure functions, no DOM.
 */

import {
  type FieldPathProblemCode,
  fieldPathProblem,
  MAX_FIELD_PATH_LENGTH,
} from '../../sync/model/index.js';
import { bsonTypeOf, decodeRelaxed, encodeRelaxed } from '../../sync/protocol/ejson-codec.js';

export type Kind = 'text' | 'number' | 'boolean' | 'date' | 'json';

export const KINDS: { kind: Kind; label: string }[] = [
  { kind: 'text', label: 'Text' },
  { kind: 'number', label: 'Number' },
  { kind: 'boolean', label: 'True/false' },
  { kind: 'date', label: 'Date' },
  { kind: 'json', label: 'JSON' },
];

/** Text values longer than this are refused: the whole document is limited to 16 KiB on the server. */
export const MAX_TEXT_LENGTH = 4_000;

export type Parsed = { ok: true; value: unknown } | { ok: false; error: string };

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** The value as JavaScript/BSON (a date a `Date`) by the contract's codec; a malformed wrapper stays as is. */
function decoded(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  try {
    return decodeRelaxed(value);
  } catch {
    return value;
  }
}

/** A date value's time: `{ $date: "…" }`, also `{ $date: { $numberLong: "…" } }` (outside 1970–9999). */
export function dateMs(value: unknown): number | null {
  const v = decoded(value);
  return v instanceof Date && !Number.isNaN(v.getTime()) ? v.getTime() : null;
}

const NUMBER_TYPES = new Set(['Decimal128', 'Double', 'Int32', 'Long']);

/** A number's text; relaxed EJSON keeps non-finite doubles, big longs and decimals as wrappers. */
function numberText(value: unknown): string | null {
  const v = decoded(value);
  if (typeof v === 'number') return String(v);
  return NUMBER_TYPES.has(bsonTypeOf(v) ?? '') ? String(v) : null;
}

/** The kind a stored value is edited as. */
export function kindOf(value: unknown): Kind {
  if (typeof value === 'string') return 'text';
  if (typeof value === 'boolean') return 'boolean';
  if (numberText(value) !== null) return 'number';
  if (dateMs(value) !== null) return 'date';
  return 'json';
}

/** `YYYY-MM-DD` of a date value in UTC (what `<input type="date">` shows). */
export function dateInputValue(value: unknown): string {
  const ms = dateMs(value);
  return ms === null ? '' : new Date(ms).toISOString().slice(0, 10);
}

/** The editable text of a value shown as `kind`. */
export function toText(value: unknown, kind: Kind = kindOf(value)): string {
  if (value === undefined || value === null) return kind === 'json' && value === null ? 'null' : '';
  switch (kind) {
    case 'text':
      return typeof value === 'string' ? value : JSON.stringify(value);
    case 'number':
      return numberText(value) ?? String(value);
    case 'boolean':
      return String(value);
    case 'date': {
      const ms = dateMs(value);
      if (ms === null) return typeof value === 'string' ? value : '';
      const iso = new Date(ms).toISOString();
      // Midnight UTC is a calendar date (a birthday): show just the date.
      return iso.endsWith('T00:00:00.000Z') ? iso.slice(0, 10) : iso;
    }
    case 'json':
      return typeof value === 'string' ? value : JSON.stringify(value);
  }
}

/**
 * Keys MongoDB refuses in stored documents or that would reach prototypes, and dates that are not
 * dates, in a decoded value (EJSON wrappers are values by then: a date, an id).
 */
function badKey(value: unknown, at = ''): string | null {
  if (value instanceof Date && Number.isNaN(value.getTime())) return `not a date (${at || 'the value'})`;
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) {
      const bad = badKey(item, `${at}[${i}]`);
      if (bad) return bad;
    }
    return null;
  }
  if (!isObject(value) || bsonTypeOf(value)) return null;
  for (const key of Object.keys(value)) {
    const where = at ? `${at}.${key}` : key;
    if (key.startsWith('$')) return `keys cannot start with "$" (${where})`;
    if (key.includes('.')) return `keys cannot contain "." (${where})`;
    if (key === '__proto__') return `"__proto__" is not allowed as a key`;
    const bad = badKey(value[key], where);
    if (bad) return bad;
  }
  return null;
}

/**
 * Text → value of `kind` (relaxed EJSON), or why not. `previous` keeps the time of day of a date
 * whose calendar day is edited.
 */
export function parseAs(kind: Kind, text: string, previous?: unknown): Parsed {
  switch (kind) {
    case 'text':
      return text.length > MAX_TEXT_LENGTH
        ? { ok: false, error: `Too long: ${text.length} characters (at most ${MAX_TEXT_LENGTH})` }
        : { ok: true, value: text };
    case 'number': {
      const t = text.trim().replace(/_/g, '');
      if (t === '') return { ok: false, error: 'Enter a number, e.g. 14 or 2.5' };
      // Number() accepts "0x1f" and "" but not "1,5"; say so rather than storing a string.
      const n = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(t) ? Number(t) : Number.NaN;
      if (!Number.isFinite(n))
        return {
          ok: false,
          error: /^[+-]?\d+,\d+$/.test(t)
            ? `Not a number: "${text}" (use a point: ${t.replace(',', '.')})`
            : `Not a number: "${text}"`,
        };
      return { ok: true, value: n };
    }
    case 'boolean': {
      const t = text.trim().toLowerCase();
      if (t === 'true' || t === 'yes') return { ok: true, value: true };
      if (t === 'false' || t === 'no') return { ok: true, value: false };
      return { ok: false, error: 'Choose true or false' };
    }
    case 'date': {
      const t = text.trim();
      if (t === '') return { ok: false, error: 'Enter a date, e.g. 1990-05-17' };
      let ms: number;
      if (/^\d{4}-\d{2}-\d{2}$/.test(t)) {
        ms = Date.parse(`${t}T00:00:00.000Z`);
        const prev = dateMs(previous);
        if (prev !== null && !Number.isNaN(ms)) ms += prev - Math.floor(prev / 86_400_000) * 86_400_000;
        // "2023-02-30" parses in some engines; refuse a day that rolls over.
        if (!Number.isNaN(ms) && new Date(ms).toISOString().slice(0, 10) !== t) ms = Number.NaN;
      } else if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/.test(t)) {
        ms = Date.parse(t);
      } else ms = Number.NaN;
      if (Number.isNaN(ms)) return { ok: false, error: `Not a date: "${text}" (use YYYY-MM-DD)` };
      return { ok: true, value: { $date: new Date(ms).toISOString() } };
    }
    case 'json': {
      let json: unknown;
      let value: unknown;
      try {
        json = JSON.parse(text);
        // The contract's codec reads the EJSON wrappers ({"$date": …}) as the host will.
        value = decodeRelaxed(json);
      } catch (error) {
        return { ok: false, error: `Invalid JSON: ${(error as Error).message}` };
      }
      if (typeof json !== 'object' || json === null)
        return { ok: false, error: 'JSON here is an object {…} or an array […]' };
      const bad = badKey(value);
      if (bad) return { ok: false, error: `Invalid JSON: ${bad}` };
      return { ok: true, value: encodeRelaxed(value) };
    }
  }
}

/** The user's words for the model's field path rule (the engine and the server check the same). */
const FIELD_NAME_PROBLEMS: Record<FieldPathProblemCode, (name: string) => string> = {
  empty: () => 'Enter a field name',
  'too-long': (name) => `Too long: ${name.length} characters (at most ${MAX_FIELD_PATH_LENGTH})`,
  characters: () => 'Use letters, digits, _ and - (dots separate nested names), no spaces or "$"',
  reserved: (name) => `"${name}" is reserved`,
};

/** Why a new field name cannot be used, or null. */
export function fieldNameError(name: string): string | null {
  const problem = fieldPathProblem(name);
  return problem ? FIELD_NAME_PROBLEMS[problem.code](name) : null;
}

/** A short, human rendering of a value (conflicts, outbox). */
export function describeValue(value: unknown): string {
  if (value === undefined) return '(absent)';
  const kind = kindOf(value);
  if (kind === 'text') return value as string;
  return toText(value, kind);
}
