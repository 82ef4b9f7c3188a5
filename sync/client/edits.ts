/** Pure helpers over edits: applying them to a document, and coalescing a batch for the wire. */
import { EJSON } from 'bson';
import { applyEdit, type EditOp, isPlainObject } from '../protocol/index.js';

export { applyEdit };

import type { EditRow } from './sqlite/store.js';

export function decodeValue(ejson: string | null): unknown {
  return ejson === null ? undefined : EJSON.parse(ejson, { relaxed: true });
}

export function encodeValue(value: unknown): string {
  return EJSON.stringify(value as never, { relaxed: false });
}

/** Order-insensitive-free structural comparison of two EJSON values (numbers compare by value). */
export function sameValue(a: unknown, b: unknown): boolean {
  return EJSON.stringify(a as never, { relaxed: true }) === EJSON.stringify(b as never, { relaxed: true });
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
  const groups = new Map<string, CoalescedOp>();
  for (const edit of edits) {
    const value = decodeValue(edit.valueEJSON);
    const parent = [...groups.keys()].find((p) => edit.path.startsWith(`${p}.`));
    const parentGroup = parent === undefined ? undefined : groups.get(parent);
    if (parent !== undefined && parentGroup && parentGroup.op.op !== 'inc') {
      const base = parentGroup.op.op === 'set' ? parentGroup.op.value : undefined;
      const container: Record<string, unknown> = { v: isPlainObject(base) ? structuredClone(base) : {} };
      applyEdit(container, edit.op, `v.${edit.path.slice(parent.length + 1)}`, value);
      groups.set(parent, { op: { op: 'set', path: parent, value: container.v }, first: parentGroup.first });
      continue;
    }
    if (edit.op !== 'inc') {
      for (const key of [...groups.keys()]) if (key.startsWith(`${edit.path}.`)) groups.delete(key);
    }
    const existing = groups.get(edit.path);
    let op: EditOp;
    if (!existing || edit.op !== 'inc') {
      op =
        edit.op === 'unset'
          ? { op: 'unset', path: edit.path }
          : edit.op === 'set'
            ? { op: 'set', path: edit.path, value }
            : { op: 'inc', path: edit.path, value: value as number };
    } else {
      const prev = existing.op;
      const by = value as number;
      if (prev.op === 'inc') op = { op: 'inc', path: edit.path, value: prev.value + by };
      else if (prev.op === 'set')
        op = { op: 'set', path: edit.path, value: (typeof prev.value === 'number' ? prev.value : 0) + by };
      else op = { op: 'set', path: edit.path, value: by };
    }
    groups.set(edit.path, { op, first: existing?.first ?? edit });
  }
  return [...groups.values()];
}
