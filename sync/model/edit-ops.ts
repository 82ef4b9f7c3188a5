/**
 * The edit semantics ($set / $unset / $inc on a dotted path), used by the client engine (its
 * view, coalescing, `set`) and the server (the outbox function, `updateCustomUserData`, the
 * admin API). The wire schemas (sync/protocol/edit-batch.ts) are built on these names.
 */

export type EditOpName = 'set' | 'unset' | 'inc';

/** The value a field had before the batch; `exists: false` when it was absent. */
export interface FieldBefore {
  exists: boolean;
  value?: unknown;
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
