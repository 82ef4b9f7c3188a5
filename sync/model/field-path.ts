/**
 * The editable-path rule, in one place: which dotted field paths an edit may name. The protocol's
 * and the UI contract's schemas are built on it, the engine and the server check it, and the
 * renderer words its problems for the user.
 */

/**
 * Field of the custom data document where the server keeps outbox bookkeeping (the highest
 * applied batch sequence number per device). Stripped from `user_data` and data API results.
 */
export const SYNC_BOOKKEEPING_FIELD = '_customdataDeskSync';

export const MAX_FIELD_PATH_LENGTH = 200;

/** Segments: letters, digits, `_` and `-` (so never `$…`, never empty), joined by dots. */
const FIELD_PATH = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;
/** Segments that would reach JavaScript prototypes wherever paths are walked in objects. */
const RESERVED_SEGMENTS = new Set(['__proto__', 'constructor', 'prototype']);

export type FieldPathProblemCode = 'empty' | 'too-long' | 'characters' | 'reserved';

export interface FieldPathProblem {
  code: FieldPathProblemCode;
  /** For the wire and logs; the renderer words it for the user from `code`. */
  message: string;
}

/** Why `path` is not a valid field path, or null when it is. */
export function fieldPathProblem(path: string): FieldPathProblem | null {
  if (path === '') return { code: 'empty', message: 'field paths cannot be empty' };
  if (path.length > MAX_FIELD_PATH_LENGTH)
    return { code: 'too-long', message: `field paths are at most ${MAX_FIELD_PATH_LENGTH} characters` };
  if (!FIELD_PATH.test(path))
    return { code: 'characters', message: 'field paths are dot-separated names of letters, digits, _ and -' };
  if (path.split('.').some((segment) => RESERVED_SEGMENTS.has(segment)))
    return { code: 'reserved', message: 'field paths cannot use __proto__, constructor or prototype' };
  return null;
}

/**
 * Why a field path may not be edited, or undefined when it may: the document's `_id`, the field
 * holding the owner's id (`userIdField`: the server's setting; the client does not know it, so the
 * server refuses that one), the server's outbox bookkeeping, and names MongoDB would read as
 * operators or refuse. Sub-fields of a protected field are protected too.
 */
export function uneditablePathReason(path: string, userIdField?: string): string | undefined {
  if (path === '' || path.startsWith('$') || path.includes('\0'))
    return `field '${path}' cannot be edited: not a field name`;
  const head = path.split('.')[0] as string;
  if (head === '_id' || head === userIdField || head === SYNC_BOOKKEEPING_FIELD)
    return `field '${head}' cannot be edited`;
  return undefined;
}

/** Throws the caller's error for a path `uneditablePathReason` refuses. */
export function assertEditablePath(
  path: string,
  makeError: (message: string) => Error,
  userIdField?: string,
): void {
  const reason = uneditablePathReason(path, userIdField);
  if (reason !== undefined) throw makeError(reason);
}

/** Both rules: a valid field path the client may edit; the message, or null. */
export function editablePathProblem(path: string): string | null {
  return fieldPathProblem(path)?.message ?? uneditablePathReason(path) ?? null;
}
