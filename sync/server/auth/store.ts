/**
 * The server's own collections (users, credentials, sessions, keys, settings) in the app
 * database. Documents are typed here; nothing else touches these collections directly.
 */
import { randomBytes } from 'node:crypto';
import { type Collection, type Db, MongoServerError, type ObjectId } from 'mongodb';

export type ProviderType = 'local-userpass' | 'anon-user' | 'api-key' | 'custom-token' | 'custom-function';

export interface IdentityDoc {
  id: string;
  provider_type: ProviderType;
  provider_id: string;
  provider_data?: Record<string, unknown>;
}

export interface UserDoc {
  _id: ObjectId;
  /** `server`: the user behind a server API key. */
  type: 'normal' | 'server';
  identities: IdentityDoc[];
  /** Profile data (e.g. `{ email }`), returned as `data` by the profile endpoint. */
  data: Record<string, unknown>;
  createdAt: Date;
  /** Disabled (e.g. imported so from App Services): cannot log in. */
  disabled?: boolean;
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
  /** Imported from App Services, whose password hashes cannot be exported: reset before login. */
  mustResetPassword?: boolean;
  /** False until the address is confirmed (providers without autoConfirm); absent: confirmed. */
  confirmed?: boolean;
  createdAt: Date;
}

/** Which user owns an external identity (custom JWT `sub`, custom function id); `_id` = `provider:id`. */
export interface ExternalIdentityDoc {
  _id: string;
  userId: string;
  createdAt: Date;
}

export interface SessionDoc {
  /** SHA-256 of the refresh token; the token itself is never stored. */
  _id: string;
  userId: string;
  deviceId: string;
  createdAt: Date;
  expiresAt: Date;
  /** The API key this session logged in with: that key cannot be deleted or disabled through it. */
  apiKeyId?: string;
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
  readonly externalIdentities: Collection<ExternalIdentityDoc>;
  private readonly keys: Collection<KeyDoc>;
  private readonly settings: Collection<SettingsDoc>;

  constructor(readonly db: Db) {
    this.users = db.collection('users');
    this.credentials = db.collection('credentials');
    this.sessions = db.collection('sessions');
    this.externalIdentities = db.collection('external_identities');
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
