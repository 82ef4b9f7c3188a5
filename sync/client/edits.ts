/** Pure helpers over edits: applying them to a document, and coalescing a batch for the wire. */
import { applyEdit } from '../model/index.js';
import {
  type EditOp,
  isPlainObject,
  parseEJSONText,
  toCanonicalEJSONText,
  toRelaxedEJSONText,
} from '../protocol/index.js';

export { applyEdit };

import type { EditRow } from './sqlite/local-store.js';

export function decodeValue(ejson: string | null): unknown {
  return ejson === null ? undefined : parseEJSONText(ejson);
}

export function encodeValue(value: unknown): string {
  return toCanonicalEJSONText(value);
}

/** Order-insensitive-free structural comparison of two EJSON values (numbers compare by value). */
export function sameValue(a: unknown, b: unknown): boolean {
  return toRelaxedEJSONText(a) === toRelaxedEJSONText(b);
}

export interface CoalescedOp {
  op: EditOp;
  /** The edit the group started from: its base is what the user saw before editing this field. */
  first: EditRow;
}

/**
 * Folds a batch into one operation per field, in first-edit order: set/unset keep the last,
 * increments add up, an increment after a set or an unset becomes a set of the sum. A set or
 * unset of a field replaces earlier edits of its sub-fields, and a later edit of a sub-field is
 * folded into an earlier set of its parent — MongoDB refuses one update touching both
 * `a` and `a.b` (error 40), which would otherwise block the outbox.
 */
export function coalesce(edits: EditRow[]): CoalescedOp[] {
  const groups = new Map<string, Group>();
  // Group keys that are sub-fields (contain a dot): the only candidates a set of a parent replaces.
  const dotted = new Set<string>();
  for (const edit of edits) {
    const parent = ancestorGroup(groups, edit.path);
    const parentGroup = parent === undefined ? undefined : groups.get(parent);
    if (parent !== undefined && parentGroup && parentGroup.op.op !== 'inc') {
      const parentOp = resolve(parentGroup);
      const base = parentOp.op === 'set' ? parentOp.value : undefined;
      const container: Record<string, unknown> = { v: isPlainObject(base) ? structuredClone(base) : {} };
      applyEdit(container, edit.op, `v.${edit.path.slice(parent.length + 1)}`, decodeValue(edit.valueEJSON));
      groups.set(parent, { op: { op: 'set', path: parent, value: container.v }, first: parentGroup.first });
      continue;
    }
    if (edit.op !== 'inc') {
      for (const key of dotted)
        if (key.startsWith(`${edit.path}.`)) {
          groups.delete(key);
          dotted.delete(key);
        }
    }
    const existing = groups.get(edit.path);
    let group: Group;
    if (edit.op === 'unset') group = { op: { op: 'unset', path: edit.path }, first: existing?.first ?? edit };
    else if (edit.op === 'set')
      // Decoded only if it survives the batch (most sets of a busy field are overwritten).
      group = {
        op: { op: 'set', path: edit.path, value: undefined },
        raw: edit.valueEJSON,
        first: existing?.first ?? edit,
      };
    else {
      const by = decodeValue(edit.valueEJSON) as number;
      const prev = existing ? resolve(existing) : undefined;
      const op: EditOp =
        prev === undefined || prev.op === 'inc'
          ? { op: 'inc', path: edit.path, value: (prev?.value ?? 0) + by }
          : prev.op === 'set'
            ? { op: 'set', path: edit.path, value: (typeof prev.value === 'number' ? prev.value : 0) + by }
            : { op: 'set', path: edit.path, value: by };
      group = { op, first: existing?.first ?? edit };
    }
    groups.set(edit.path, group);
    if (edit.path.includes('.')) dotted.add(edit.path);
  }
  return [...groups.values()].map((group) => ({ op: resolve(group), first: group.first }));
}

interface Group extends CoalescedOp {
  /** The EJSON of a set's value not decoded yet. */
  raw?: string | null;
}

function resolve(group: Group): EditOp {
  if (group.raw !== undefined && group.op.op === 'set') {
    group.op = { ...group.op, value: decodeValue(group.raw) };
    group.raw = undefined;
  }
  return group.op;
}

/**
 * The group of an ancestor of `path`, the earliest formed when several exist. Looks up the
 * path's own prefixes (O(depth)) instead of scanning every group: a batch of 1,000 edits on 50
 * fields was spending most of its preparation here.
 */
function ancestorGroup(groups: Map<string, unknown>, path: string): string | undefined {
  let found: string | undefined;
  let count = 0;
  for (let dot = path.indexOf('.'); dot !== -1; dot = path.indexOf('.', dot + 1)) {
    const prefix = path.slice(0, dot);
    if (groups.has(prefix)) {
      found ??= prefix;
      count += 1;
    }
  }
  // Several ancestors (an increment of a parent and a set of a child): keep the first-formed one.
  if (count > 1) for (const key of groups.keys()) if (path.startsWith(`${key}.`)) return key;
  return found;
}
