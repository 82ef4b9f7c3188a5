/**
 * Numbered schema migrations, tracked with `PRAGMA user_version`. Append only: a shipped
 * migration is never edited, so every installed database reaches the same schema.
 */
export const MIGRATIONS: readonly { name: string; sql: string }[] = [
  {
    name: '0001-init',
    sql: `
      CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);

      -- One row per user who ever logged in on this device; tokens encrypted by the secret store.
      CREATE TABLE sessions (
        user_id TEXT PRIMARY KEY,
        provider TEXT NOT NULL,
        email TEXT,
        access_token TEXT,
        refresh_token TEXT,
        state TEXT NOT NULL CHECK (state IN ('active', 'expired', 'logged-out')),
        updated_at INTEGER NOT NULL
      );

      -- The custom data snapshot from the user's latest token, with its freshness metadata.
      CREATE TABLE custom_data (
        user_id TEXT PRIMARY KEY,
        data_ejson TEXT NOT NULL,
        issued_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        fetched_at INTEGER NOT NULL,
        source TEXT NOT NULL
      );

      -- Durable edits, in order. batch_seq is set when an edit is frozen into a batch: a batch is
      -- re-sent unchanged until acknowledged, which is what makes delivery exactly-once.
      CREATE TABLE outbox (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        user_id TEXT NOT NULL,
        path TEXT NOT NULL,
        op TEXT NOT NULL CHECK (op IN ('set', 'unset', 'inc')),
        value_ejson TEXT,
        base_exists INTEGER NOT NULL,
        base_ejson TEXT,
        created_at INTEGER NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        batch_seq INTEGER,
        rejected_reason TEXT
      );
      CREATE INDEX outbox_by_user ON outbox (user_id, seq);

      CREATE TABLE conflicts (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        user_id TEXT NOT NULL,
        path TEXT NOT NULL,
        base_exists INTEGER NOT NULL,
        base_ejson TEXT,
        server_exists INTEGER NOT NULL,
        server_ejson TEXT,
        mine_op TEXT NOT NULL,
        mine_ejson TEXT,
        detected_at INTEGER NOT NULL
      );
      CREATE INDEX conflicts_by_user ON conflicts (user_id, id);
    `,
  },
  {
    name: '0002-outbox-by-path',
    // Serves the view value of one field when an edit is made (its own and related paths).
    sql: 'CREATE INDEX outbox_by_user_path ON outbox (user_id, path);',
  },
  {
    name: '0003-outbox-acked',
    // Acknowledged edits stay (applied in the view) until a token renewed after the
    // acknowledgement brings them in the snapshot; without this the UI would show old values.
    sql: 'ALTER TABLE outbox ADD COLUMN acked INTEGER NOT NULL DEFAULT 0;',
  },
  {
    name: '0004-outbox-without-path-index',
    // An edit now reads a field's edits only the first time the field is edited after the outbox
    // changed otherwise (view-values.ts); newest first by (user_id, seq), it stops at the field's
    // last set. The path index cost every edit a third page written and synced.
    sql: 'DROP INDEX IF EXISTS outbox_by_user_path;',
  },
];
