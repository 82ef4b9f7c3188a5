/** Plain-document helpers shared by the server and the client engine. */
import type { FieldBefore } from './edit-batch.js';

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** The value at a dotted path, own properties only (never a prototype's). */
export function readPath(doc: Record<string, unknown>, path: string): FieldBefore {
  let node: unknown = doc;
  for (const part of path.split('.')) {
    if (node === null || typeof node !== 'object' || !Object.hasOwn(node, part)) return { exists: false };
    node = (node as Record<string, unknown>)[part];
  }
  return { exists: true, value: node };
}
