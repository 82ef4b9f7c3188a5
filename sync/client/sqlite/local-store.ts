/**
 * The engine's local store on better-sqlite3: WAL with synchronous=FULL, so an edit that
 * `set()` reported as saved survives a crash or a power loss. All methods are synchronous
 * (better-sqlite3); multi-row changes run in one transaction and callers emit events after.
 */
import type { SecretStore } from '../ports.js';
import { SqliteDatabase } from './database.js';
import {
  type ConflictRow,
  type CustomDataRow,
  type EditRow,
  type NewConflict,
  type SessionRow,
  type SessionState,
  toConflictRow,
  toEdit,
} from './rows.js';

export type {
  ConflictRow,
  CustomDataRow,
  EditOpName,
  EditRow,
  NewConflict,
  SessionRow,
  SessionState,
} from './rows.js';

/** Edits per batch: bounded so one request stays small (the server accepts up to 1,000 operations). */
export const MAX_BATCH_EDITS = 1000;

export class LocalStore extends SqliteDatabase {
  constructor(
    file: string,
    private readonly secrets: SecretStore,
    /** Path of a better_sqlite3.node built for another ABI (Electron); default: the package's own. */
    nativeBinding?: string,
  ) {
    super(file, nativeBinding);
  }

  // --- meta -------------------------------------------------------------------------------

  getMeta(key: string): string | undefined {
    const row = this.sql('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined;
    return row?.value;
  }

  setMeta(key: string, value: string | null): void {
    if (value === null) this.sql('DELETE FROM meta WHERE key = ?').run(key);
    else
      this.sql(
        'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
      ).run(key, value);
  }

  // --- sessions ---------------------------------------------------------------------------

  saveSession(row: SessionRow): void {
    this.sql(
      `INSERT INTO sessions (user_id, provider, email, access_token, refresh_token, state, updated_at)
         VALUES (@userId, @provider, @email, @accessToken, @refreshToken, @state, @updatedAt)
         ON CONFLICT (user_id) DO UPDATE SET provider = excluded.provider, email = excluded.email,
           access_token = excluded.access_token, refresh_token = excluded.refresh_token,
           state = excluded.state, updated_at = excluded.updated_at`,
    ).run({
      ...row,
      accessToken: row.accessToken === null ? null : this.secrets.encrypt(row.accessToken),
      refreshToken: row.refreshToken === null ? null : this.secrets.encrypt(row.refreshToken),
    });
  }

  getSession(userId: string): SessionRow | undefined {
    const row = this.sql('SELECT * FROM sessions WHERE user_id = ?').get(userId) as
      | Record<string, unknown>
      | undefined;
    if (!row) return undefined;
    return {
      userId: row.user_id as string,
      provider: row.provider as string,
      email: row.email as string | null,
      accessToken: row.access_token === null ? null : this.secrets.decrypt(row.access_token as string),
      refreshToken: row.refresh_token === null ? null : this.secrets.decrypt(row.refresh_token as string),
      state: row.state as SessionState,
      updatedAt: row.updated_at as number,
    };
  }

  // --- custom data ------------------------------------------------------------------------

  saveCustomData(row: CustomDataRow): void {
    this.sql(
      `INSERT INTO custom_data (user_id, data_ejson, issued_at, expires_at, fetched_at, source)
         VALUES (@userId, @dataEJSON, @issuedAt, @expiresAt, @fetchedAt, @source)
         ON CONFLICT (user_id) DO UPDATE SET data_ejson = excluded.data_ejson, issued_at = excluded.issued_at,
           expires_at = excluded.expires_at, fetched_at = excluded.fetched_at, source = excluded.source`,
    ).run(row);
  }

  getCustomData(userId: string): CustomDataRow | undefined {
    const row = this.sql('SELECT * FROM custom_data WHERE user_id = ?').get(userId) as
      | Record<string, unknown>
      | undefined;
    if (!row) return undefined;
    return {
      userId: row.user_id as string,
      dataEJSON: row.data_ejson as string,
      issuedAt: row.issued_at as number,
      expiresAt: row.expires_at as number,
      fetchedAt: row.fetched_at as number,
      source: row.source as CustomDataRow['source'],
    };
  }

  // --- outbox -----------------------------------------------------------------------------

  addEdit(
    edit: Pick<EditRow, 'userId' | 'path' | 'op' | 'valueEJSON' | 'baseExists' | 'baseEJSON' | 'createdAt'>,
  ): number {
    // Positional parameters: binding a named object costs more than the rest of this call.
    const { userId, path, op, valueEJSON, baseExists, baseEJSON, createdAt } = edit;
    const res = this.sql(
      `INSERT INTO outbox (user_id, path, op, value_ejson, base_exists, base_ejson, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
    ).run(userId, path, op, valueEJSON, baseExists ? 1 : 0, baseEJSON, createdAt);
    return Number(res.lastInsertRowid);
  }

  /** A user's unacknowledged edits, oldest first (pending, in flight and rejected). */
  edits(userId: string): EditRow[] {
    return (
      this.sql('SELECT * FROM outbox WHERE user_id = ? AND acked = 0 ORDER BY seq').all(userId) as Record<
        string,
        unknown
      >[]
    ).map(toEdit);
  }

  /** What the view applies on the snapshot: pending, in-flight and acknowledged-but-not-yet-in-the-snapshot edits. */
  viewEdits(userId: string): EditRow[] {
    return (
      this.sql('SELECT * FROM outbox WHERE user_id = ? AND rejected_reason IS NULL ORDER BY seq').all(
        userId,
      ) as Record<string, unknown>[]
    ).map(toEdit);
  }

  /** The highest acknowledged seq: a token renewed after this moment carries those edits. */
  maxAckedSeq(userId: string): number {
    return (
      this.sql('SELECT COALESCE(MAX(seq), 0) AS s FROM outbox WHERE user_id = ? AND acked = 1').get(
        userId,
      ) as {
        s: number;
      }
    ).s;
  }

  /** The snapshot now includes these acknowledged edits: they leave the outbox. */
  dropAcked(userId: string, upToSeq: number): void {
    this.sql('DELETE FROM outbox WHERE user_id = ? AND acked = 1 AND seq <= ?').run(userId, upToSeq);
  }

  /** Unrefused edits touching `path` (itself, an ancestor, a descendant), oldest first, from the last set/unset of it or an ancestor on (read newest first, so older rows are never read). */
  editsTouching(userId: string, path: string): Pick<EditRow, 'op' | 'path' | 'valueEJSON'>[] {
    const parts = path.split('.');
    // The path and its ancestors exactly; descendants as the index range ('/' sorts right after '.').
    const exact = parts.map((_, i) => parts.slice(0, i + 1).join('.'));
    const rows = this.sql(
      `SELECT op, path, value_ejson AS valueEJSON FROM outbox WHERE user_id = ? AND rejected_reason IS NULL
           AND (path IN (${exact.map(() => '?').join(', ')}) OR (path > ? AND path < ?)) ORDER BY seq DESC`,
    ).iterate(userId, ...exact, `${path}.`, `${path}/`) as Iterable<
      Pick<EditRow, 'op' | 'path' | 'valueEJSON'>
    >;
    const edits: Pick<EditRow, 'op' | 'path' | 'valueEJSON'>[] = [];
    for (const row of rows) {
      edits.push(row);
      if (row.op !== 'inc' && exact.includes(row.path)) break;
    }
    return edits.reverse();
  }

  counts(userId: string): { pending: number; rejected: number; conflicts: number } {
    return this.sql(
      `SELECT (SELECT COUNT(*) FROM outbox WHERE user_id = @userId AND rejected_reason IS NULL AND acked = 0) AS pending,
                (SELECT COUNT(*) FROM outbox WHERE user_id = @userId AND rejected_reason IS NOT NULL) AS rejected,
                (SELECT COUNT(*) FROM conflicts WHERE user_id = @userId) AS conflicts`,
    ).get({ userId }) as { pending: number; rejected: number; conflicts: number };
  }

  getEdit(seq: number): EditRow | undefined {
    const row = this.sql('SELECT * FROM outbox WHERE seq = ?').get(seq) as
      | Record<string, unknown>
      | undefined;
    return row ? toEdit(row) : undefined;
  }

  /** The batch to send: the unacknowledged in-flight one (re-sent unchanged), else the oldest pending edits, frozen under their highest seq. */
  takeBatch(userId: string): { batchSeq: number; edits: EditRow[] } | undefined {
    return this.transaction(() => {
      const inflight = this.sql(
        'SELECT MIN(batch_seq) AS b FROM outbox WHERE user_id = ? AND batch_seq IS NOT NULL AND rejected_reason IS NULL',
      ).get(userId) as { b: number | null };
      if (inflight.b !== null) {
        const edits = this.sql(
          'SELECT * FROM outbox WHERE user_id = ? AND batch_seq = ? AND rejected_reason IS NULL ORDER BY seq',
        ).all(userId, inflight.b) as Record<string, unknown>[];
        return { batchSeq: inflight.b, edits: edits.map(toEdit) };
      }
      // One read of the rows to freeze (by the user's seq index), then one ranged update: the
      // rows between the first and the last pending seq are exactly the ones read.
      const pending = (
        this.sql(
          'SELECT * FROM outbox WHERE user_id = ? AND batch_seq IS NULL AND rejected_reason IS NULL AND acked = 0 ORDER BY seq LIMIT ?',
        ).all(userId, MAX_BATCH_EDITS) as Record<string, unknown>[]
      ).map(toEdit);
      const first = pending[0]?.seq;
      const last = pending[pending.length - 1]?.seq;
      if (first === undefined || last === undefined) return undefined;
      this.sql(
        'UPDATE outbox SET batch_seq = ? WHERE user_id = ? AND batch_seq IS NULL AND rejected_reason IS NULL AND acked = 0 AND seq BETWEEN ? AND ?',
      ).run(last, userId, first, last);
      return { batchSeq: last, edits: pending.map((edit) => ({ ...edit, batchSeq: last })) };
    });
  }

  /** Acknowledged: the batch's edits are marked applied and its conflicts recorded, together. */
  ackBatch(batchSeq: number, conflicts: NewConflict[]): void {
    this.transaction(() => {
      this.sql(
        'UPDATE outbox SET acked = 1, batch_seq = NULL WHERE batch_seq = ? AND rejected_reason IS NULL',
      ).run(batchSeq);
      const insert = this.sql(
        `INSERT INTO conflicts (user_id, path, base_exists, base_ejson, server_exists, server_ejson, mine_op, mine_ejson, detected_at)
         VALUES (@userId, @path, @baseExists, @baseEJSON, @serverExists, @serverEJSON, @mineOp, @mineEJSON, @detectedAt)`,
      );
      for (const c of conflicts)
        insert.run({ ...c, baseExists: c.baseExists ? 1 : 0, serverExists: c.serverExists ? 1 : 0 });
    });
  }

  /** A send failed (network, server error): count the attempt and keep the batch as is. */
  failBatch(batchSeq: number, error: string): void {
    this.sql(
      'UPDATE outbox SET attempts = attempts + 1, last_error = ? WHERE batch_seq = ? AND rejected_reason IS NULL',
    ).run(error, batchSeq);
  }

  /** A send that never reached the server thaws its batch, unless an earlier attempt may have arrived. */
  releaseBatch(batchSeq: number, error: string): void {
    const where = 'WHERE batch_seq = ? AND rejected_reason IS NULL';
    const thawed = this.sql(`UPDATE outbox SET batch_seq = NULL, last_error = ? ${where} AND attempts = 0`);
    if (thawed.run(error, batchSeq).changes === 0)
      this.sql(`UPDATE outbox SET last_error = ? ${where}`).run(error, batchSeq);
  }

  /** The server refused the batch: its edits are set aside, visible with the reason, never dropped. */
  rejectBatch(batchSeq: number, reason: string): void {
    this.sql(
      'UPDATE outbox SET attempts = attempts + 1, last_error = ?, rejected_reason = ?, batch_seq = NULL WHERE batch_seq = ? AND rejected_reason IS NULL',
    ).run(reason, reason, batchSeq);
  }

  /**
   * Makes rejected edits (all of a user's, or one) pending again, as new edits at the end of the
   * outbox: under their old sequence numbers the server would take them for applied duplicates.
   */
  retryRejected(userId: string, seq?: number): number {
    return this.transaction(() => {
      const rows = (
        this.sql(
          'SELECT * FROM outbox WHERE user_id = ? AND rejected_reason IS NOT NULL AND (? IS NULL OR seq = ?) ORDER BY seq',
        ).all(userId, seq ?? null, seq ?? null) as Record<string, unknown>[]
      ).map(toEdit);
      for (const row of rows) {
        this.sql('DELETE FROM outbox WHERE seq = ?').run(row.seq);
        this.addEdit(row);
      }
      return rows.length;
    });
  }

  /** Removes an edit that is not being sent (pending or rejected). An in-flight one may already be applied. */
  discardEdit(userId: string, seq: number): 'discarded' | 'in-flight' | 'unknown' {
    const row = this.sql('SELECT batch_seq, acked FROM outbox WHERE user_id = ? AND seq = ?').get(
      userId,
      seq,
    ) as { batch_seq: number | null; acked: number } | undefined;
    if (!row || row.acked === 1) return 'unknown';
    if (row.batch_seq !== null) return 'in-flight';
    this.sql('DELETE FROM outbox WHERE seq = ?').run(seq);
    return 'discarded';
  }

  // --- conflicts --------------------------------------------------------------------------

  conflicts(userId: string): ConflictRow[] {
    return (
      this.sql('SELECT * FROM conflicts WHERE user_id = ? ORDER BY id').all(userId) as Record<
        string,
        unknown
      >[]
    ).map(toConflictRow);
  }

  dismissConflict(userId: string, id: number): boolean {
    return this.sql('DELETE FROM conflicts WHERE user_id = ? AND id = ?').run(userId, id).changes === 1;
  }
}
