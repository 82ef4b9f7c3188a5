/**
 * Applies a MongoDB projection (inclusion or exclusion of top-level or dotted paths) to a
 * document in process, for findOneAnd* results after the bookkeeping field is removed; the
 * result is the same as the server's projection.
 */
import type { Document } from 'mongodb';

/** A BSON number object (Int32, Long, Double) as a JS number; anything else unchanged. */
export function unwrapBsonNumber(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  const primitive = (value as { valueOf?: () => unknown }).valueOf?.();
  return typeof primitive === 'number' || typeof primitive === 'bigint' ? Number(primitive) : value;
}

/** Projection values may be BSON numbers (Int32(0) is an object, so truthy in JS). */
function included(value: unknown): boolean {
  return Boolean(unwrapBsonNumber(value));
}

export function applyProjection(doc: Document | null, projection: Document | undefined): Document | null {
  if (!doc || !projection || Object.keys(projection).length === 0) return doc;
  const entries = Object.entries(projection);
  const inclusion = entries.some(([key, value]) => key !== '_id' && included(value));
  if (inclusion) {
    const result: Document = {};
    if (projection._id === undefined || included(projection._id)) {
      if ('_id' in doc) result._id = doc._id;
    }
    for (const [path, value] of entries) {
      if (path === '_id' || !included(value)) continue;
      copyPath(doc, result, path.split('.'));
    }
    return result;
  }
  const result: Document = structuredCloneShallow(doc);
  for (const [path] of entries) deletePath(result, path.split('.'));
  return result;
}

function copyPath(from: Document, to: Document, parts: string[]): void {
  const [head, ...rest] = parts as [string, ...string[]];
  if (!(head in from)) return;
  if (rest.length === 0) {
    to[head] = from[head];
    return;
  }
  const child = from[head];
  if (child && typeof child === 'object' && !Array.isArray(child)) {
    to[head] ??= {};
    copyPath(child as Document, to[head] as Document, rest);
  }
}

function deletePath(doc: Document, parts: string[]): void {
  const [head, ...rest] = parts as [string, ...string[]];
  if (rest.length === 0) {
    delete doc[head];
    return;
  }
  const child = doc[head];
  if (child && typeof child === 'object' && !Array.isArray(child)) {
    doc[head] = structuredCloneShallow(child as Document);
    deletePath(doc[head] as Document, rest);
  }
}

function structuredCloneShallow(doc: Document): Document {
  return { ...doc };
}
