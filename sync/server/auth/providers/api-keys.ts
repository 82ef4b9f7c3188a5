/**
 * API keys (`api-key` provider). User keys belong to a logged-in user (at most 20 each, as on
 * App Services) and log in as that user; server keys, made through the admin API, each log in as
 * a server user of their own. A key is shown once, at creation; only its SHA-256 is stored.
 */
import { createHash, randomInt } from 'node:crypto';
import { type Collection, type Db, MongoServerError, ObjectId } from 'mongodb';
import { AppError, ErrorCode, Messages } from '../../../protocol/index.js';

export const MAX_USER_API_KEYS = 20;
const KEY_LENGTH = 64;
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const NAME = /^[A-Za-z0-9_-]+$/;

interface ApiKeyDoc {
  _id: ObjectId;
  userId: string;
  name: string;
  hash: string;
  disabled: boolean;
  /** Made through the admin API: its user is a server user that exists for this key alone. */
  server: boolean;
  createdAt: Date;
}

/** As App Services answered: `_id` a hex string, `key` only at creation. */
export interface ApiKeyView {
  _id: string;
  name: string;
  disabled: boolean;
  key?: string;
}

export class ApiKeys {
  readonly collection: Collection<ApiKeyDoc>;

  constructor(
    db: Db,
    private readonly now: () => number,
  ) {
    this.collection = db.collection('api_keys');
  }

  async ensureIndexes(): Promise<void> {
    await this.collection.createIndex({ hash: 1 }, { unique: true });
    await this.collection.createIndex({ userId: 1, name: 1 }, { unique: true });
  }

  async create(userId: string, name: unknown, server = false): Promise<ApiKeyView> {
    if (typeof name !== 'string' || name === '')
      throw new AppError(400, ErrorCode.InvalidParameter, "'name' is a required string");
    if (!NAME.test(name) || name.length > 64)
      throw new AppError(
        400,
        ErrorCode.InvalidParameter,
        'can only contain ASCII letters, numbers, underscores, and hyphens',
      );
    if (!server && (await this.collection.countDocuments({ userId })) >= MAX_USER_API_KEYS)
      throw new AppError(
        400,
        ErrorCode.InvalidParameter,
        `a user may have at most ${MAX_USER_API_KEYS} API keys`,
      );
    const key = Array.from({ length: KEY_LENGTH }, () => ALPHABET[randomInt(ALPHABET.length)]).join('');
    const doc: ApiKeyDoc = {
      _id: new ObjectId(),
      userId,
      name,
      hash: sha256(key),
      disabled: false,
      server,
      createdAt: new Date(this.now()),
    };
    try {
      await this.collection.insertOne(doc);
    } catch (error) {
      if (error instanceof MongoServerError && error.code === 11000)
        throw new AppError(409, ErrorCode.APIKeyAlreadyExists, 'API key with name already exists');
      throw error;
    }
    return { _id: doc._id.toHexString(), key, name, disabled: false };
  }

  async list(userId: string): Promise<ApiKeyView[]> {
    const docs = await this.collection.find({ userId }, { sort: { _id: 1 } }).toArray();
    return docs.map(view);
  }

  async get(userId: string, keyId: string): Promise<ApiKeyView> {
    return view(await this.require(userId, keyId));
  }

  /** Disabling or deleting the key a session logged in with would cut the branch it sits on: 403. */
  async setDisabled(userId: string, keyId: string, disabled: boolean, sessionKeyId?: string): Promise<void> {
    const doc = await this.require(userId, keyId);
    if (disabled) assertNotInUse(doc, sessionKeyId, 'disable');
    await this.collection.updateOne({ _id: doc._id }, { $set: { disabled } });
  }

  async delete(userId: string, keyId: string, sessionKeyId?: string): Promise<void> {
    const doc = await this.require(userId, keyId);
    assertNotInUse(doc, sessionKeyId, 'delete');
    await this.collection.deleteOne({ _id: doc._id });
  }

  /** The owner of an enabled key, for login. */
  async owner(key: unknown): Promise<{ userId: string; keyId: string }> {
    const doc =
      typeof key === 'string' && key.length > 0 ? await this.collection.findOne({ hash: sha256(key) }) : null;
    if (!doc || doc.disabled) throw new AppError(401, ErrorCode.AuthError, Messages.unauthorized);
    return { userId: doc.userId, keyId: doc._id.toHexString() };
  }

  /** Server keys (admin API): every one, with its user. */
  async listServer(): Promise<Array<ApiKeyView & { userId: string }>> {
    const docs = await this.collection.find({ server: true }, { sort: { _id: 1 } }).toArray();
    return docs.map((doc) => ({ ...view(doc), userId: doc.userId }));
  }

  private async require(userId: string, keyId: string): Promise<ApiKeyDoc> {
    const doc = ObjectId.isValid(keyId)
      ? await this.collection.findOne({ _id: new ObjectId(keyId), userId })
      : null;
    if (!doc) throw new AppError(404, ErrorCode.APIKeyNotFound, 'API key not found');
    return doc;
  }
}

function assertNotInUse(doc: ApiKeyDoc, sessionKeyId: string | undefined, action: string): void {
  if (sessionKeyId === doc._id.toHexString())
    throw new AppError(
      403,
      ErrorCode.InvalidParameter,
      `cannot ${action} the API key used by the current session`,
    );
}

function view(doc: ApiKeyDoc): ApiKeyView {
  return { _id: doc._id.toHexString(), name: doc.name, disabled: doc.disabled };
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
