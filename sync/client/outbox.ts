/**
 * The outbox: edits are committed to SQLite before they are reported, then sent in order, batch
 * by batch, each under a sequence number the server recognises (a re-send of a batch whose answer
 * was lost is a duplicate, never applied twice). The answer carries the document after the batch,
 * which confirms the snapshot and lets acknowledged edits leave the outbox without a renewal.
 */
import { assertEditablePath, fieldPathProblem, type OutboxEntry } from '../model/index.js';
import { type EditBatchResult, type EditOp, isPlainObject, readPath } from '../protocol/index.js';
import { applyEdit, type CoalescedOp, coalesce, decodeValue, encodeValue } from './edits.js';
import { errorMessage, SessionExpiredError, UserChangedError } from './engine-errors.js';
import type { EditOpName, LocalStore, NewConflict } from './sqlite/local-store.js';
import { HttpError, NetworkError } from './transport.js';
import { ViewValues } from './view-values.js';

export interface PendingField {
  op: EditOpName;
  value: unknown;
  seq: number;
}

export interface OutboxDeps {
  store: LocalStore;
  /** Server time. */
  now: () => number;
  signal: AbortSignal;
  userId: () => string | null;
  /** Logged in with an active session, and the connection may be used. */
  canSync: () => boolean;
  /** The server snapshot the user's edits apply to. */
  snapshot: () => Record<string, unknown>;
  /** Another writer's changes the batch overwrote (conflicts.ts). */
  conflictsOf: (userId: string, ops: CoalescedOp[], result: EditBatchResult, at: number) => NewConflict[];
  /** Sends one batch (authenticated, through the connection loop). */
  push: (userId: string, batch: { seq: number; ops: EditOp[] }) => Promise<EditBatchResult>;
  /** Inside the ack's transaction: the answer's document is the confirmed snapshot. */
  confirmed: (userId: string, data: Record<string, unknown>, at: number) => void;
  /** After a batch answered with its document: reload the snapshot. */
  reload: () => void;
  /** Acknowledged edits without a document in the answer (an older server): renew to fetch it. */
  renewAfterAck: () => Promise<void>;
  /** A batch may pass later (5xx, 429): retry on the backoff. */
  failing: (error: HttpError) => void;
  /** A batch got through: reset the backoff, clear the error. */
  succeeded: () => void;
  setError: (message: string) => void;
  changed: () => void;
  log: (message: string, fields?: Record<string, unknown>) => void;
}

export class Outbox {
  syncing = false;
  private flushing: Promise<boolean> | undefined;
  private flushRequested = false;
  /** The view's value per path between edits (the conflict base without reading the outbox). */
  private readonly viewValues = new ViewValues();
  /** Paths that passed the field path checks (most edits are to fields edited before). */
  private readonly validPaths = new Set<string>();

  constructor(private readonly deps: OutboxDeps) {}

  get inFlight(): Promise<boolean> | undefined {
    return this.flushing;
  }

  pendingCount(userId: string): number {
    return this.deps.store.counts(userId).pending;
  }

  /** Commits one edit; the flush starts after the caller got its sequence number. */
  add(userId: string, op: EditOpName, path: string, value: unknown): number {
    this.assertValidPath(path);
    const { store } = this.deps;
    // The base is what the user sees now (snapshot + own pending edits): a later server value
    // that differs from it is another writer's change, i.e. a conflict.
    const snapshot = this.deps.snapshot();
    const stamp = store.stamp();
    const known = this.viewValues.get(userId, snapshot, stamp, path);
    const entry = known ?? this.viewValues.remember(path, this.viewValue(userId, path));
    const base = ViewValues.value(entry);
    const valueEJSON = op === 'unset' ? null : encodeValue(value);
    const seq = store.addEdit({
      userId,
      path,
      op,
      valueEJSON,
      baseExists: base.exists,
      baseEJSON: ViewValues.encoded(entry),
      createdAt: this.deps.now(),
    });
    // The insert changed one row; data_version is not read again, as that could hide another
    // connection's commit. Should the stamp be off, the next edit reads the outbox again.
    this.viewValues.edited(stamp, [stamp[0] + 1, stamp[1]], path, op, base, value, valueEJSON);
    // Offline (or logged out) there is nothing to send: the reconnect flushes.
    if (this.deps.canSync())
      queueMicrotask(() => {
        this.flush().catch((error: unknown) => this.deps.log('flush failed', { error: errorMessage(error) }));
      });
    return seq;
  }

  private assertValidPath(path: string): void {
    if (this.validPaths.has(path)) return;
    const problem = fieldPathProblem(path);
    if (problem) throw new TypeError(`invalid field path '${path}': ${problem.message}`);
    assertEditablePath(path, (message) => new TypeError(message));
    if (this.validPaths.size >= 1_000) this.validPaths.clear();
    this.validPaths.add(path);
  }

  /** `snapshot` with the user's edits applied, and which fields are still pending. */
  view(
    userId: string | null,
    snapshot: Record<string, unknown>,
  ): { data: Record<string, unknown>; pending: Record<string, PendingField> } {
    const data: Record<string, unknown> = { ...snapshot };
    const pending: Record<string, PendingField> = {};
    if (userId) {
      for (const edit of this.deps.store.viewEdits(userId)) {
        const value = decodeValue(edit.valueEJSON);
        applyEdit(data, edit.op, edit.path, value);
        // Acknowledged edits are synced: shown (the snapshot may not have them yet), not marked pending.
        if (edit.acked) delete pending[edit.path];
        else pending[edit.path] = { op: edit.op, value, seq: edit.seq };
      }
    }
    return { data, pending };
  }

  list(userId: string): OutboxEntry[] {
    return this.deps.store.edits(userId).map((e) => ({
      seq: e.seq,
      path: e.path,
      op: e.op,
      value: decodeValue(e.valueEJSON),
      createdAt: e.createdAt,
      attempts: e.attempts,
      lastError: e.lastError,
      inFlight: e.batchSeq !== null,
      rejectedReason: e.rejectedReason,
    }));
  }

  /** Sends the outbox in order, batch by batch. Resolves to whether anything was sent. */
  flush(): Promise<boolean> {
    if (this.flushing) {
      // An edit made while a flush is finishing must not wait for the next reconnect: go round again.
      this.flushRequested = true;
      return this.flushing;
    }
    this.flushing = (async () => {
      let sent = false;
      do {
        this.flushRequested = false;
        sent = (await this.runFlush()) || sent;
      } while (this.flushRequested && this.deps.canSync());
      return sent;
    })().finally(() => {
      this.flushing = undefined;
      this.syncing = false;
      if (!this.deps.signal.aborted) this.deps.changed();
    });
    return this.flushing;
  }

  private async runFlush(): Promise<boolean> {
    const { store } = this.deps;
    let sent = false;
    let renewNeeded = false;
    while (this.deps.canSync()) {
      const userId = this.deps.userId() as string;
      const batch = store.takeBatch(userId);
      if (!batch) break;
      this.syncing = true;
      this.deps.changed();
      const ops = coalesce(batch.edits);
      let result: EditBatchResult;
      try {
        result = await this.deps.push(userId, { seq: batch.batchSeq, ops: ops.map((o) => o.op) });
      } catch (error) {
        if (this.deps.signal.aborted || error instanceof UserChangedError) return sent;
        if (
          error instanceof HttpError &&
          error.status >= 400 &&
          error.status < 500 &&
          ![401, 408, 409, 429].includes(error.status)
        ) {
          // Refused (a rule, invalid data): set aside with the reason, visible, never dropped.
          store.rejectBatch(batch.batchSeq, error.message);
          this.deps.setError(`edit rejected: ${error.message}`);
          this.deps.changed();
          continue;
        }
        // Anything else may pass later (5xx, 429, a timeout, a lost answer): the batch stays
        // frozen under the same seq and is re-sent unchanged, so the server can recognise it.
        if (error instanceof NetworkError && error.notSent) store.releaseBatch(batch.batchSeq, error.message);
        else if (!(error instanceof SessionExpiredError))
          store.failBatch(batch.batchSeq, errorMessage(error));
        if (error instanceof HttpError) this.deps.failing(error);
        break;
      }
      if (this.deps.signal.aborted) return sent;
      const now = this.deps.now();
      const conflicts = this.deps.conflictsOf(userId, ops, result, now);
      const data = isPlainObject(result.data) ? result.data : undefined;
      store.transaction(() => {
        store.ackBatch(batch.batchSeq, conflicts);
        // The document after the batch holds every acknowledged edit: they leave the outbox now.
        if (data) this.deps.confirmed(userId, data, now);
      });
      if (data) this.deps.reload();
      else renewNeeded = true;
      this.deps.succeeded();
      if (conflicts.length) this.deps.log('conflicts recorded', { count: conflicts.length });
      sent = true;
      this.deps.changed();
    }
    // Only an answer without the document (an older server) needs a renewal to bring the
    // acknowledged edits into the snapshot.
    const userId = this.deps.userId();
    if (renewNeeded && this.deps.canSync() && userId && store.maxAckedSeq(userId) > 0)
      await this.deps.renewAfterAck();
    return sent;
  }

  /** The view's value at one path, computed from the edits that touch it only (O(edits to that field)). */
  private viewValue(userId: string, path: string): { exists: boolean; value?: unknown } {
    const snapshot = this.deps.snapshot();
    const head = path.split('.')[0] as string;
    const partial: Record<string, unknown> = head in snapshot ? { [head]: snapshot[head] } : {};
    const edits = this.deps.store.editsTouching(userId, path);
    // Only edits after the last set/unset of this path or an ancestor can matter.
    let from = 0;
    for (let i = edits.length - 1; i >= 0; i--) {
      const e = edits[i] as (typeof edits)[number];
      if (e.op !== 'inc' && (e.path === path || path.startsWith(`${e.path}.`))) {
        from = i;
        break;
      }
    }
    for (const edit of edits.slice(from))
      applyEdit(partial, edit.op, edit.path, decodeValue(edit.valueEJSON));
    return readPath(partial, path);
  }
}
