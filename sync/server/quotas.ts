/**
 * Per-user and per-address limits (docs/security.md, "Quotas"). One user must not be able to
 * slow everyone down with a 10,000-document insertMany, nor fill the database; one address
 * must not mint unlimited accounts. Counters live in MongoDB: every instance sees the same.
 */
import { BSON, type Collection, type Db, type Document } from 'mongodb';
import { AppError, ErrorCode } from '../protocol/index.js';

export interface QuotaConfig {
  /** Documents one request may write (insertMany's array, upserts count as one). */
  maxDocumentsPerRequest: number;
  /** BSON bytes of the documents and updates of one request. */
  maxBytesPerRequest: number;
  /** Documents one user may have created in client-writable collections, in total. */
  maxDocumentsPerUser: number;
  /** BSON bytes one user may have written in client-writable collections, in total. */
  maxBytesPerUser: number;
  /** Registrations and anonymous logins per client address per hour (0: no limit). */
  registrationsPerAddressPerHour: number;
  anonymousLoginsPerAddressPerHour: number;
  /** Confirmation and reset requests (mail or function) per address and per account per hour. */
  mailsPerAddressPerHour: number;
  mailsPerAccountPerHour: number;
}

interface UsageDoc {
  _id: string;
  documents: number;
  bytes: number;
}

interface RateDoc {
  _id: string;
  count: number;
  expiresAt: Date;
}

const HOUR_MS = 3_600_000;

function tooMany(message: string): AppError {
  return new AppError(429, ErrorCode.TooManyRequests, message);
}

/** What a write operation would add: documents and bytes. */
export function writeSize(op: string, args: Document): { documents: number; bytes: number } {
  const size = (value: unknown) =>
    value && typeof value === 'object' ? BSON.calculateObjectSize(value as Document) : 0;
  switch (op) {
    case 'insertOne':
      return { documents: 1, bytes: size(args.document) };
    case 'insertMany': {
      const docs = (args.documents as Document[]) ?? [];
      return { documents: docs.length, bytes: docs.reduce((n, d) => n + size(d), 0) };
    }
    // Updates count against the request limit only: editing one document again and again
    // (what the app does) must not use up a total.
    case 'updateOne':
    case 'updateMany':
    case 'findOneAndUpdate':
    case 'findOneAndReplace':
      return { documents: 0, bytes: size(args.update) };
    default:
      return { documents: 0, bytes: 0 };
  }
}

export class Quotas {
  private readonly usage: Collection<UsageDoc>;
  private readonly rates: Collection<RateDoc>;

  constructor(
    db: Db,
    private readonly config: QuotaConfig,
    private readonly now: () => number,
  ) {
    this.usage = db.collection('usage');
    this.rates = db.collection('rate-limits');
  }

  async ensureIndexes(): Promise<void> {
    // Old windows go away by themselves.
    await this.rates.createIndex({ expiresAt: 1 }, { expireAfterSeconds: 0 });
  }

  /**
   * Checks a write against the per-request and total limits and reserves its share of the
   * user's total (before the write, atomically: concurrent requests cannot overshoot).
   */
  async reserveWrite(userId: string, op: string, args: Document): Promise<void> {
    const { documents, bytes } = writeSize(op, args);
    if (documents === 0 && bytes === 0) return;
    if (documents > this.config.maxDocumentsPerRequest)
      throw tooMany(`a request may write at most ${this.config.maxDocumentsPerRequest} documents`);
    if (bytes > this.config.maxBytesPerRequest)
      throw tooMany(`a request may write at most ${this.config.maxBytesPerRequest} bytes`);
    if (documents === 0) return;
    const reserved = await this.usage
      .findOneAndUpdate(
        { _id: userId },
        { $inc: { documents, bytes } },
        { upsert: true, returnDocument: 'after' },
      )
      .catch(async (error: unknown) => {
        // Two first writes racing on the upsert: the loser retries once as an update.
        if ((error as { code?: number }).code !== 11000) throw error;
        return this.usage.findOneAndUpdate(
          { _id: userId },
          { $inc: { documents, bytes } },
          { returnDocument: 'after' },
        );
      });
    if (
      reserved &&
      (reserved.documents > this.config.maxDocumentsPerUser || reserved.bytes > this.config.maxBytesPerUser)
    ) {
      await this.usage.updateOne({ _id: userId }, { $inc: { documents: -documents, bytes: -bytes } });
      throw tooMany('storage quota of this user is used up');
    }
  }

  /** A write that failed gives back what it reserved. */
  async refund(userId: string, op: string, args: Document): Promise<void> {
    const { documents, bytes } = writeSize(op, args);
    if (documents > 0)
      await this.usage.updateOne({ _id: userId }, { $inc: { documents: -documents, bytes: -bytes } });
  }

  /** Deleted documents give their share back (bytes are not known: they stay counted). */
  async release(userId: string, documents: number): Promise<void> {
    if (documents > 0) await this.usage.updateOne({ _id: userId }, { $inc: { documents: -documents } });
  }

  /** Counts one registration or anonymous login of an address; refuses past the hourly limit. */
  async hitAddress(kind: 'register' | 'anon', address: string): Promise<void> {
    const register = kind === 'register';
    await this.hit(
      `${kind}:${address}`,
      register ? this.config.registrationsPerAddressPerHour : this.config.anonymousLoginsPerAddressPerHour,
      `too many ${register ? 'registrations' : 'anonymous logins'} from this address; try again later`,
    );
  }

  /** Counts one confirmation or reset (mail or function) for the account and for the address. */
  async hitMail(account: string, address: string): Promise<void> {
    await this.hit(
      `mail-address:${address}`,
      this.config.mailsPerAddressPerHour,
      'too many confirmation or reset requests from this address; try again later',
    );
    await this.hit(
      `mail-account:${account}`,
      this.config.mailsPerAccountPerHour,
      'too many confirmation or reset requests for this account; try again later',
    );
  }

  /** One more in this hour's window of `key`, kept in MongoDB so every instance counts it. */
  private async hit(key: string, limit: number, message: string): Promise<void> {
    if (limit <= 0) return;
    const window = Math.floor(this.now() / HOUR_MS);
    const filter = { _id: `${key}:${window}` };
    const update = { $inc: { count: 1 }, $setOnInsert: { expiresAt: new Date((window + 2) * HOUR_MS) } };
    const doc = await this.rates
      .findOneAndUpdate(filter, update, { upsert: true, returnDocument: 'after' })
      .catch((error: unknown) => {
        if ((error as { code?: number }).code !== 11000) throw error;
        return this.rates.findOneAndUpdate(filter, { $inc: { count: 1 } }, { returnDocument: 'after' });
      });
    if (doc && doc.count > limit) throw tooMany(message);
  }
}
