/**
 * The SQLite file under the store: WAL with synchronous=FULL (an edit reported as saved survives
 * a crash or a power loss), schema migrations, and prepared statements cached per SQL text.
 */
import Database from 'better-sqlite3';
import { MIGRATIONS } from './migrations.js';

export class SqliteDatabase {
  readonly db: Database.Database;

  constructor(file: string, nativeBinding?: string) {
    this.db = new Database(file, nativeBinding ? { nativeBinding } : {});
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.pragma('foreign_keys = ON');
    this.migrate();
  }

  private readonly statements = new Map<string, Database.Statement>();

  /** Prepared once per SQL text: preparing costs more than running these small statements. */
  protected sql(text: string): Database.Statement {
    let statement = this.statements.get(text);
    if (!statement) {
      statement = this.db.prepare(text);
      this.statements.set(text, statement);
    }
    return statement;
  }

  /**
   * `[rows changed through this connection, data_version]`: the first moves with every write of
   * ours (any table), the second when another connection commits to the file. While the stamp
   * stays the same, what was read from the database is still what it holds.
   */
  stamp(): [number, number] {
    const changes = this.sql('SELECT total_changes()').pluck().get() as number;
    return [changes, this.sql('PRAGMA data_version').pluck().get() as number];
  }

  close(): void {
    this.db.close();
  }

  private migrate(): void {
    const current = this.db.pragma('user_version', { simple: true }) as number;
    if (current > MIGRATIONS.length) {
      throw new Error(
        `local database is from a newer version (schema ${current}, this app knows ${MIGRATIONS.length})`,
      );
    }
    for (let i = current; i < MIGRATIONS.length; i++) {
      const migration = MIGRATIONS[i] as { sql: string };
      this.db.transaction(() => {
        this.db.exec(migration.sql);
        this.db.pragma(`user_version = ${i + 1}`);
      })();
    }
  }

  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }
}
