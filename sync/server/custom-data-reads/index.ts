/**
 * Coalesced custom data reads, one entry point: the first-inserted document of each of many
 * users in one query. Tokens (refresh, login) ask for their user's document here; a lookup
 * asked while `maxInFlight` queries (default one) are under way waits for one of them to end and
 * then goes out with every other lookup asked meanwhile, as one `find({<field>: {$in: [...]}})` sorted by
 * the `{<field>: 1, _id: 1}` index. No lookup waits when none is under way, and each is sent
 * after it was asked, so it sees every write acknowledged before: the same answer as its own
 * query, for a fraction of the database's and the server's work per lookup under load.
 *
 * Exactness: results come sorted by user, then `_id`, so a user's first document comes first.
 * A query returns at most `limit` documents (users with many documents cannot blow it up);
 * users past the cut are asked again. A document whose user ID field is not a string (an array
 * matches every element and sorts by its smallest) sends the whole batch to one query per user,
 * as before.
 */
import type { Document } from 'mongodb';

export interface FirstDocumentReadsOptions {
  /** Users per query. */
  maxBatch: number;
  /** Queries under way at once; past that, lookups wait and are sent together. */
  maxInFlight: number;
}

/**
 * One query under way: at 50 concurrent refreshes on the 2-core test machine, 1 in flight gave
 * 1.3–2× the refreshes per second of 2, 4 or 8 (fewer, fuller queries: less work for MongoDB and
 * for the server per lookup). A slow query delays the lookups asked meanwhile by as much.
 */
export const DEFAULT_FIRST_DOCUMENT_READS: FirstDocumentReadsOptions = { maxBatch: 100, maxInFlight: 1 };

interface Waiter {
  resolve(doc: Document | null): void;
  reject(error: unknown): void;
}

export interface FirstDocumentQueries {
  /** Documents whose `field` is one of `userIds`, sorted by `{field: 1, _id: 1}`, at most `limit`. */
  many(userIds: string[], limit: number): Promise<Document[]>;
  /** The first-inserted document of one user (the query of a single lookup). */
  one(userId: string): Promise<Document | null>;
}

export class FirstDocumentReads {
  private waiting = new Map<string, Waiter[]>();
  private inFlight = 0;

  constructor(
    private readonly field: string,
    private readonly queries: FirstDocumentQueries,
    private readonly options: FirstDocumentReadsOptions = DEFAULT_FIRST_DOCUMENT_READS,
  ) {}

  /** The user's first-inserted document, or null. */
  first(userId: string): Promise<Document | null> {
    return new Promise((resolve, reject) => {
      const waiters = this.waiting.get(userId);
      if (waiters) waiters.push({ resolve, reject });
      else this.waiting.set(userId, [{ resolve, reject }]);
      this.pump();
    });
  }

  private pump(): void {
    while (this.inFlight < this.options.maxInFlight && this.waiting.size > 0) {
      const batch = new Map<string, Waiter[]>();
      for (const [userId, waiters] of this.waiting) {
        if (batch.size >= this.options.maxBatch) break;
        batch.set(userId, waiters);
      }
      for (const userId of batch.keys()) this.waiting.delete(userId);
      this.inFlight += 1;
      this.run(batch).finally(() => {
        this.inFlight -= 1;
        this.pump();
      });
    }
  }

  private async run(batch: Map<string, Waiter[]>): Promise<void> {
    const settle = (userId: string, doc: Document | null) => {
      for (const waiter of batch.get(userId) ?? []) waiter.resolve(doc);
      batch.delete(userId);
    };
    try {
      if (batch.size === 1) {
        const userId = batch.keys().next().value as string;
        settle(userId, await this.queries.one(userId));
        return;
      }
      while (batch.size > 0) {
        const userIds = [...batch.keys()];
        const limit = userIds.length * 2 + 8;
        const docs = await this.queries.many(userIds, limit);
        if (docs.some((doc) => typeof doc[this.field] !== 'string')) {
          const each = await Promise.all(userIds.map((userId) => this.queries.one(userId)));
          for (const [i, userId] of userIds.entries()) settle(userId, each[i] ?? null);
          return;
        }
        for (const doc of docs) if (batch.has(doc[this.field])) settle(doc[this.field], doc);
        // All of these users' documents came back, or the cut was after the last key seen:
        // every user up to it that has not appeared has none.
        const cut = docs.length < limit ? undefined : (docs.at(-1)?.[this.field] as string);
        for (const userId of userIds)
          if (batch.has(userId) && (cut === undefined || sortsBefore(userId, cut))) settle(userId, null);
      }
    } catch (error) {
      for (const waiters of batch.values()) for (const waiter of waiters) waiter.reject(error);
    }
  }
}

/** MongoDB's order of strings (UTF-8 bytes), which JavaScript's `<` (UTF-16 units) is not always. */
function sortsBefore(a: string, b: string): boolean {
  return Buffer.compare(Buffer.from(a), Buffer.from(b)) < 0;
}
