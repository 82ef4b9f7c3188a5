/**
 * The view's value per field path (snapshot + the user's edits), remembered between edits: the
 * conflict base of an edit is the view's value at its path, and reading it back from the outbox
 * cost as much as the rest of `set()` (the insert's fsync aside). Valid only while the user, the
 * snapshot object and the database stay as they were when remembered (the store's `stamp()`):
 * any other write — an ack, a rejection, a retry, a discard, a saved snapshot, another
 * connection's commit — forgets it all. An edit of a path forgets the other remembered paths
 * under the same top-level field (an ancestor's or a descendant's value changes with it).
 */
import { applyEdit, decodeValue, encodeValue } from './edits.js';
import type { EditOpName } from './sqlite/local-store.js';

export interface ViewValue {
  exists: boolean;
  value?: unknown;
}

interface Entry {
  exists: boolean;
  /** The EJSON the value is decoded from (decoded when first needed), as the view decodes it. */
  raw?: string;
  value?: unknown;
  decoded: boolean;
  /** The value as a base (canonical EJSON), once computed. */
  encoded?: string | null;
}

type Stamp = [number, number];

/** Distinct paths remembered at most; past that, everything is forgotten and starts over. */
const MAX_PATHS = 2_000;

export class ViewValues {
  private byHead = new Map<string, Map<string, Entry>>();
  private size = 0;
  private userId: string | null = null;
  private snapshot: object | null = null;
  private stamp: Stamp = [-1, -1];

  /** The remembered value at `path`, if still valid for this user, snapshot and outbox stamp. */
  get(userId: string, snapshot: object, stamp: Stamp, path: string): Entry | undefined {
    if (userId !== this.userId || snapshot !== this.snapshot || !sameStamp(stamp, this.stamp)) {
      this.reset(userId, snapshot, stamp);
      return undefined;
    }
    return this.byHead.get(headOf(path))?.get(path);
  }

  /** Remembers a value read from the store, valid as of `stamp` (the caller's `get` reset it). */
  remember(path: string, value: ViewValue): Entry {
    const entry: Entry = { exists: value.exists, value: value.value, decoded: true };
    this.put(path, entry, false);
    return entry;
  }

  /**
   * After this outbox's own edit was committed: `before` is the stamp it was made on, `after`
   * the same with this store's count after the commit (never a fresh data_version: another
   * connection's commit in between must still show as a change). The path's new value is
   * computed as the view computes it; other remembered paths of the same top-level field are
   * forgotten. Anything else moved the stamp meanwhile: everything is forgotten.
   */
  edited(
    before: Stamp,
    after: Stamp,
    path: string,
    op: EditOpName,
    base: ViewValue,
    value: unknown,
    valueEJSON: string | null,
  ): void {
    if (!sameStamp(before, this.stamp)) {
      this.reset(this.userId, this.snapshot, [-1, -1]);
      return;
    }
    this.stamp = after;
    let entry: Entry;
    // A string, boolean, null or number reads back from its EJSON as itself, and encodes again to
    // the same text: no decoding needed. Anything else is decoded when used, as the view does.
    if (op === 'set')
      entry = isPrimitive(value)
        ? { exists: true, value, decoded: true, encoded: valueEJSON }
        : { exists: true, raw: valueEJSON as string, decoded: false };
    else if (op === 'unset') entry = { exists: false, decoded: true };
    else {
      const container: Record<string, unknown> = base.exists ? { v: base.value } : {};
      applyEdit(container, 'inc', 'v', decodeValue(valueEJSON));
      entry = { exists: true, value: container.v, decoded: true };
    }
    this.put(path, entry, true);
  }

  /** The entry's value (decoded once). */
  static value(entry: Entry): ViewValue {
    if (!entry.decoded) {
      entry.value = decodeValue(entry.raw ?? null);
      entry.decoded = true;
    }
    return entry.exists ? { exists: true, value: entry.value } : { exists: false };
  }

  /** The entry's value as an edit's base: canonical EJSON, or null when absent (encoded once). */
  static encoded(entry: Entry): string | null {
    if (entry.encoded === undefined) {
      const { exists, value } = ViewValues.value(entry);
      entry.encoded = exists ? encodeValue(value) : null;
    }
    return entry.encoded;
  }

  private put(path: string, entry: Entry, replaceHead: boolean): void {
    const head = headOf(path);
    let paths = this.byHead.get(head);
    if (replaceHead && paths) {
      this.size -= paths.size;
      paths = undefined;
    }
    if (!paths) {
      if (this.size >= MAX_PATHS) this.reset(this.userId, this.snapshot, this.stamp);
      paths = new Map();
      this.byHead.set(head, paths);
    }
    if (!paths.has(path)) this.size++;
    paths.set(path, entry);
  }

  private reset(userId: string | null, snapshot: object | null, stamp: Stamp): void {
    this.byHead = new Map();
    this.size = 0;
    this.userId = userId;
    this.snapshot = snapshot;
    this.stamp = stamp;
  }
}

function headOf(path: string): string {
  const dot = path.indexOf('.');
  return dot === -1 ? path : path.slice(0, dot);
}

function isPrimitive(value: unknown): boolean {
  return value === null || ['string', 'number', 'boolean'].includes(typeof value);
}

function sameStamp(a: Stamp, b: Stamp): boolean {
  return a[0] === b[0] && a[1] === b[1];
}
