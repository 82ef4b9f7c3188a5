/**
 * One minute's refusals per user: counted here at once (this instance blocks at the budget
 * without waiting for MongoDB) and added to the minute's count in MongoDB (`rate-limits`, as
 * quotas.ts counts per address) — one write at a time per user, carrying every refusal seen
 * meanwhile — whose answer also blocks the user here when other instances' refusals took it to
 * the budget.
 */
import type { Collection, Db } from 'mongodb';

export const MINUTE_MS = 60_000;
/** Users tallied or blocked on this instance; past it, those whose minute is over are forgotten. */
const MAX_USERS = 100_000;

interface CounterDoc {
  _id: string;
  count: number;
  expiresAt: Date;
}

interface Tally {
  window: number;
  seen: number;
  unsent: number;
  sending: boolean;
}

export class RefusalTally {
  private readonly counters: Collection<CounterDoc>;
  private readonly tallies = new Map<string, Tally>();
  /** userId → end of the minute they are blocked for (server clock). */
  private readonly blockedUntil = new Map<string, number>();

  constructor(
    db: Db,
    private readonly budget: number,
    private readonly now: () => number,
  ) {
    this.counters = db.collection('rate-limits');
  }

  async ensureIndexes(): Promise<void> {
    await this.counters.createIndex({ expiresAt: 1 }, { expireAfterSeconds: 0 });
  }

  /** Milliseconds the user stays blocked (0: not blocked), from this instance's memory only. */
  blockedFor(userId: string): number {
    const until = this.blockedUntil.get(userId);
    if (until === undefined) return 0;
    const left = until - this.now();
    if (left <= 0) this.blockedUntil.delete(userId);
    return Math.max(0, left);
  }

  /** Counts `weight` refusals of `userId` in this minute, here and in MongoDB. */
  async add(userId: string, weight: number): Promise<void> {
    const window = Math.floor(this.now() / MINUTE_MS);
    let tally = this.tallies.get(userId);
    if (!tally || tally.window !== window) {
      if (this.tallies.size >= MAX_USERS) this.forgetBefore(window);
      tally = { window, seen: 0, unsent: 0, sending: false };
      this.tallies.set(userId, tally);
    }
    tally.seen += weight;
    tally.unsent += weight;
    if (tally.seen >= this.budget) this.block(userId, window);
    if (tally.sending) return;
    tally.sending = true;
    try {
      while (tally.unsent > 0) {
        const n = tally.unsent;
        tally.unsent = 0;
        if ((await this.store(userId, window, n)) >= this.budget) this.block(userId, window);
      }
    } finally {
      tally.sending = false;
    }
  }

  /** Adds `n` to the user's count of this minute in MongoDB; the count after. */
  private async store(userId: string, window: number, n: number): Promise<number> {
    const filter = { _id: `refused:${userId}:${window}` };
    const update = { $inc: { count: n }, $setOnInsert: { expiresAt: new Date((window + 2) * MINUTE_MS) } };
    const doc = await this.counters
      .findOneAndUpdate(filter, update, { upsert: true, returnDocument: 'after' })
      .catch((error: unknown) => {
        // Two instances' first refusals racing on the upsert: the loser adds as an update.
        if ((error as { code?: number }).code !== 11000) throw error;
        return this.counters.findOneAndUpdate(filter, { $inc: { count: n } }, { returnDocument: 'after' });
      });
    return doc?.count ?? 0;
  }

  private block(userId: string, window: number): void {
    if (this.blockedUntil.size >= MAX_USERS) this.forgetBefore(window);
    this.blockedUntil.set(userId, (window + 1) * MINUTE_MS);
  }

  private forgetBefore(window: number): void {
    for (const [user, tally] of this.tallies)
      if (tally.window < window && !tally.sending) this.tallies.delete(user);
    for (const [user, until] of this.blockedUntil)
      if (until <= window * MINUTE_MS) this.blockedUntil.delete(user);
  }
}
