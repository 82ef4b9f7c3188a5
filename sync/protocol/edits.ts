/**
 * The one implementation of the edit semantics ($set / $unset / $inc on a dotted path) and of the
 * editable-path rule, used by the client engine (its view, coalescing, `set`) and the server (the
 * outbox function, `updateCustomUserData`, the admin API).
 */
import { type EditOpName, SYNC_BOOKKEEPING_FIELD } from './outbox.js';

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

/**
 * Applies one edit to a document in place, as MongoDB's $set / $unset / $inc would: missing or
 * scalar parents are created as objects ($unset through them does nothing); nested objects on the
 * path are copied, so a cached snapshot sharing them never changes under the caller.
 */
export function applyEdit(doc: Record<string, unknown>, op: EditOpName, path: string, value: unknown): void {
  const parts = path.split('.');
  let node = doc;
  for (const part of parts.slice(0, -1)) {
    const child = node[part];
    if (child === null || typeof child !== 'object' || Array.isArray(child) || child instanceof Date) {
      if (op === 'unset') return;
      node[part] = {};
    } else {
      // Copy on write: the cached snapshot must not change under the view.
      node[part] = { ...(child as Record<string, unknown>) };
    }
    node = node[part] as Record<string, unknown>;
  }
  const leaf = parts[parts.length - 1] as string;
  if (op === 'set') node[leaf] = value;
  else if (op === 'unset') delete node[leaf];
  else node[leaf] = (typeof node[leaf] === 'number' ? (node[leaf] as number) : 0) + (value as number);
}
