/**
 * Slows down password guessing with growing delays, per account AND per client address,
 * never a fixed lockout: after `freeFailures` failures each further one doubles the wait
 * (1 s, 2 s, 4 s …). An account's wait is capped low (its owner must still get in while
 * someone guesses); an address's wait grows to the whole window (it sprays many accounts).
 * Counters live in MongoDB so every instance sees them; they lapse `windowMs` after the
 * last failure, and a successful login clears the account's (never the address's) counter.
 */
import type { Collection, Db } from 'mongodb';

export interface LoginThrottleConfig {
  /** Failures of one account before delays begin; an address gets four times as many. */
  freeFailures: number;
  windowMs: number;
  /** Longest wait one account's failures can impose. */
  maxAccountDelayMs: number;
}

interface FailureDoc {
  _id: string;
  count: number;
  lastFailure: Date;
  expiresAt: Date;
}

export class LoginThrottle {
  private readonly failures: Collection<FailureDoc>;

  constructor(
    db: Db,
    private readonly config: LoginThrottleConfig,
    private readonly now: () => number,
  ) {
    this.failures = db.collection('login-failures');
  }

  async ensureIndexes(): Promise<void> {
    await this.failures.createIndex({ expiresAt: 1 }, { expireAfterSeconds: 0 });
  }

  /** Milliseconds until this account may be tried again from this address, or 0. */
  async retryAfterMs(account: string, address: string): Promise<number> {
    const docs = await this.failures
      .find({ _id: { $in: [accountKey(account), addressKey(address)] } })
      .toArray();
    const now = this.now();
    let wait = 0;
    for (const doc of docs) {
      const last = doc.lastFailure.getTime();
      if (now - last >= this.config.windowMs) continue;
      const isAccount = doc._id === accountKey(account);
      const free = isAccount ? this.config.freeFailures : this.config.freeFailures * 4;
      const cap = isAccount ? this.config.maxAccountDelayMs : this.config.windowMs;
      const over = doc.count - free;
      if (over < 0) continue;
      const delay = Math.min(cap, 1000 * 2 ** Math.min(over, 30));
      wait = Math.max(wait, last + delay - now);
    }
    return Math.max(0, wait);
  }

  async recordFailure(account: string, address: string): Promise<void> {
    const now = this.now();
    await Promise.all([accountKey(account), addressKey(address)].map((id) => this.bump(id, now)));
  }

  async recordSuccess(account: string): Promise<void> {
    await this.failures.deleteOne({ _id: accountKey(account) });
  }

  private async bump(id: string, now: number): Promise<void> {
    const set = { lastFailure: new Date(now), expiresAt: new Date(now + this.config.windowMs) };
    const live = await this.failures.updateOne(
      { _id: id, lastFailure: { $gt: new Date(now - this.config.windowMs) } },
      { $inc: { count: 1 }, $set: set },
    );
    if (live.matchedCount === 1) return;
    // None, or one from a lapsed window: start again at 1.
    await this.failures
      .replaceOne({ _id: id }, { count: 1, ...set }, { upsert: true })
      .catch((error: unknown) => {
        if ((error as { code?: number }).code !== 11000) throw error;
      });
  }
}

const accountKey = (account: string) => `account:${account}`;
const addressKey = (address: string) => `address:${address}`;
