/**
 * The server's own collections (users, credentials, sessions, keys, settings) in the app
 * database. Documents are typed here; nothing else touches these collections directly.
 */
import { randomBytes } from 'node:crypto';
import { type Collection, type Db, MongoServerError, type ObjectId } from 'mongodb';

export type ProviderType = 'local-userpass' | 'anon-user';

export interface IdentityDoc {
  id: string;
  provider_type: ProviderType;
  provider_id: string;
  provider_data?: { email?: string };
}

export interface UserDoc {
  _id: ObjectId;
  type: 'normal';
  identities: IdentityDoc[];
  /** Profile data (e.g. `{ email }`), returned as `data` by the profile endpoint. */
  data: Record<string, unknown>;
  createdAt: Date;
}

/** One email/password account; `_id` is the normalised email, so uniqueness needs no extra index. */
export interface CredentialDoc {
  _id: string;
  passwordHash: string;
  identityId: string;
  /** Null until the first login creates the user (as on Atlas), or until it is linked. */
  userId: string | null;
  /** The user was deleted: the email can be registered again. */
  userDeleted?: boolean;
  createdAt: Date;
}

export interface SessionDoc {
  /** SHA-256 of the refresh token; the token itself is never stored. */
  _id: string;
  userId: string;
  deviceId: string;
  createdAt: Date;
  expiresAt: Date;
}

interface KeyDoc {
  _id: string;
  secret: string;
}

interface SettingsDoc {
  _id: 'runtime';
  accessTokenTtlSeconds?: number;
}

export class Store {
  readonly users: Collection<UserDoc>;
  readonly credentials: Collection<CredentialDoc>;
  readonly sessions: Collection<SessionDoc>;
  private readonly keys: Collection<KeyDoc>;
  private readonly settings: Collection<SettingsDoc>;

  constructor(db: Db) {
    this.users = db.collection('users');
    this.credentials = db.collection('credentials');
    this.sessions = db.collection('sessions');
    this.keys = db.collection('keys');
    this.settings = db.collection('settings');
  }

  async ensureIndexes(): Promise<void> {
    await this.sessions.createIndex({ userId: 1 });
    // Serves the live-session check on every write (auth.assertLiveSession).
    await this.sessions.createIndex({ userId: 1, deviceId: 1 });
  }

  /** The token signing secret: created once and shared by every instance through MongoDB. */
  async signingSecret(): Promise<Uint8Array> {
    const id = 'access-token-hs256';
    try {
      await this.keys.insertOne({ _id: id, secret: randomBytes(32).toString('base64') });
    } catch (error) {
      if (!(error instanceof MongoServerError && error.code === 11000)) throw error;
    }
    const key = await this.keys.findOne({ _id: id });
    if (!key) throw new Error('signing key vanished after insert');
    return new Uint8Array(Buffer.from(key.secret, 'base64'));
  }

  async runtimeSettings(): Promise<SettingsDoc | null> {
    return this.settings.findOne({ _id: 'runtime' });
  }

  async saveAccessTokenTtl(seconds: number): Promise<void> {
    await this.settings.updateOne(
      { _id: 'runtime' },
      { $set: { accessTokenTtlSeconds: seconds } },
      { upsert: true },
    );
  }
}
