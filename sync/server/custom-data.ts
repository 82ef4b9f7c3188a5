/**
 * Custom user data lookup: the document whose user ID field equals the user's id; when
 * several match, the first inserted (lowest _id) wins. Served by an index on
 * { <userIdField>: 1, _id: 1 }, which also answers the sort.
 */
import { BSON, type Collection, type Document } from 'mongodb';
import { SYNC_BOOKKEEPING_FIELD } from '../protocol/edit-batch.js';
import { assertEditablePath, toCanonicalEJSON } from '../protocol/index.js';
import { FirstDocumentReads } from './custom-data-reads/index.js';
import { DEFAULT_LIMITS } from './limits.js';
import type { Logger } from './logger.js';
import { denied } from './rules.js';

/** Documents larger than this are logged (size only): they bloat every access token. */
export const LARGE_CUSTOM_DATA_BYTES = 16 * 1024;

export class CustomDataStore {
  /** Token claims' reads, coalesced under load (custom-data-reads/). */
  private readonly reads: FirstDocumentReads;

  constructor(
    readonly collection: Collection<Document>,
    readonly userIdField: string,
    readonly enabled: boolean,
    private readonly logger: Logger,
    /** Larger documents are left out of tokens (custom-data-size.ts). */
    readonly maxDocumentBytes = 16 * 1024,
    /** Every read and write made on a user's behalf is bounded (limits.maxTimeMS). */
    readonly maxTimeMS = DEFAULT_LIMITS.maxTimeMS,
  ) {
    this.reads = new FirstDocumentReads(userIdField, {
      one: (userId) => this.findRaw(userId),
      many: (userIds, limit) =>
        this.collection
          .find({ [userIdField]: { $in: userIds } })
          .sort({ [userIdField]: 1, _id: 1 })
          .limit(limit)
          .maxTimeMS(this.maxTimeMS)
          .toArray(),
    });
  }

  async ensureIndex(): Promise<void> {
    if (!this.enabled) return;
    await this.collection.createIndex(
      { [this.userIdField]: 1, _id: 1 },
      { name: `${this.userIdField}_1__id_1` },
    );
  }

  /**
   * Refuses an edit of `path` when the editable-path rule protects it (the id, the owner field,
   * the bookkeeping, non-field names): one answer for the outbox, updateCustomUserData and the
   * admin API, 403 NoMatchingRuleFound as the data API answers a write to the same fields.
   */
  assertEditable(path: string): void {
    assertEditablePath(path, denied, this.userIdField);
  }

  /** The user's raw document (bookkeeping included), or null. */
  async findRaw(userId: string): Promise<Document | null> {
    const docs = await this.collection
      .find({ [this.userIdField]: userId })
      .sort({ _id: 1 })
      .limit(1)
      .maxTimeMS(this.maxTimeMS)
      .toArray();
    return docs[0] ?? null;
  }

  /** Removes every custom data document of the user (admin API); their count. */
  async deleteAll(userId: string): Promise<number> {
    return (await this.collection.deleteMany({ [this.userIdField]: userId })).deletedCount;
  }

  /** What users see: the document without sync bookkeeping. */
  async find(userId: string): Promise<Document | null> {
    if (!this.enabled) return null;
    const doc = await this.findRaw(userId);
    return doc ? withoutBookkeeping(doc) : null;
  }

  /** The `user_data` claim: canonical EJSON, or undefined (claim omitted → realm-web shows {}). */
  async claimFor(userId: string): Promise<Document | undefined> {
    return (await this.claim(userId)).userData;
  }

  /**
   * The claims for a token: `userData`, or, for a document over the limit (written outside
   * our API), no data and `omitted` saying why, so the user can still log in.
   */
  async claim(
    userId: string,
  ): Promise<{ userData?: Document; omitted?: { reason: string; bytes: number; limit: number } }> {
    if (!this.enabled) return {};
    const raw = await this.reads.first(userId);
    if (!raw) return {};
    const doc = withoutBookkeeping(raw);
    const size = BSON.calculateObjectSize(doc);
    if (size > this.maxDocumentBytes) {
      this.logger.warn(
        { bytes: size, limit: this.maxDocumentBytes },
        'custom user data left out of the token: too large',
      );
      return {
        omitted: {
          reason: 'custom user data too large for a token',
          bytes: size,
          limit: this.maxDocumentBytes,
        },
      };
    }
    if (size > LARGE_CUSTOM_DATA_BYTES) {
      // Size only: custom data is personal and never logged.
      this.logger.warn(
        { bytes: size },
        'custom user data document is large; it is copied into every access token',
      );
    }
    return { userData: toCanonicalEJSON(doc) };
  }
}

export function withoutBookkeeping<T extends Document>(doc: T): T {
  if (!(SYNC_BOOKKEEPING_FIELD in doc)) return doc;
  const { [SYNC_BOOKKEEPING_FIELD]: _hidden, ...rest } = doc;
  return rest as T;
}
