/**
 * Users and the identities that lead to them. Every provider ends here: an identity is either
 * already owned (its owner logs in) or claimed once for a new or the current user, even when two
 * first logins race (the loser's new user is removed; the winner's id is used).
 */
import { type Document, ObjectId } from 'mongodb';
import { AppError, ErrorCode } from '../../protocol/index.js';
import type { CustomDataStore } from '../custom-data.js';
import type { FunctionUser } from '../functions/index.js';
import type { Logger } from '../logger.js';
import type { IdentityDoc, Store, UserDoc } from './store.js';

/** What a provider proved: an identity, who owns it today, and how to claim it for a user. */
export interface ProvenIdentity {
  identity: IdentityDoc;
  /** Profile data to keep on the user (e-mail, JWT metadata fields). */
  data: Record<string, unknown>;
  owner(): Promise<string | null>;
  /** Makes `userId` the owner if nobody is; false if another user already is. */
  claim(userId: string): Promise<boolean>;
}

/** The app's code around a user's life (creation function, CREATE and DELETE triggers). */
export interface UserHooks {
  onUserCreated(user: FunctionUser): Promise<void>;
  onUserDeleted(user: FunctionUser): Promise<void>;
}

/** Zero id for domain and provider ids in profiles (no client reads them). */
export const DOMAIN_ID = '000000000000000000000001';

export class Users {
  constructor(
    private readonly store: Store,
    private readonly customData: CustomDataStore,
    private readonly hooks: UserHooks,
    private readonly now: () => number,
    private readonly logger: Logger,
  ) {}

  /** The owner of the identity, creating the user (and running the creation function) if none. */
  async ownerOrCreate(proven: ProvenIdentity): Promise<string> {
    const owner = await proven.owner();
    if (owner !== null) {
      if (Object.keys(proven.data).length > 0) await this.mergeData(owner, proven.data);
      return owner;
    }
    const userId = await this.insert([proven.identity], proven.data, 'normal');
    if (await proven.claim(userId)) {
      await this.runCreated(userId);
      return userId;
    }
    await this.store.users.deleteOne({ _id: new ObjectId(userId) });
    const winner = await proven.owner();
    if (!winner) throw new AppError(500, ErrorCode.InternalServerError, 'could not create the user');
    return winner;
  }

  /** Adds the identity to `userId` (linking); refused if another user owns it. */
  async link(userId: string, proven: ProvenIdentity): Promise<void> {
    const owner = await proven.owner();
    if (owner === userId) return;
    if (owner !== null || !(await proven.claim(userId)))
      throw new AppError(
        409,
        ErrorCode.AccountNameInUse,
        'a user already exists with the specified provider',
      );
    const set = Object.fromEntries(Object.entries(proven.data).map(([k, v]) => [`data.${k}`, v]));
    await this.store.users.updateOne(
      { _id: new ObjectId(userId) },
      { $push: { identities: proven.identity }, ...(Object.keys(set).length > 0 ? { $set: set } : {}) },
    );
  }

  /** A user that owns only itself (anonymous, server API key): no claim can race. */
  async createOwned(identity: IdentityDoc, type: UserDoc['type'] = 'normal'): Promise<string> {
    const userId = await this.insert([identity], {}, type);
    if (type === 'normal') await this.runCreated(userId);
    return userId;
  }

  async require(userId: string): Promise<UserDoc> {
    const user = ObjectId.isValid(userId)
      ? await this.store.users.findOne({ _id: new ObjectId(userId) })
      : null;
    // 401 makes realm-web try a refresh, which fails for a deleted user and logs it out.
    if (!user) throw new AppError(401, ErrorCode.InvalidSession, 'invalid session: user not found');
    return user;
  }

  /** The user as functions see it (`context.user`). */
  async functionUser(userId: string, customData?: Record<string, unknown>): Promise<FunctionUser> {
    const user = await this.require(userId);
    return {
      id: userId,
      type: user.type === 'server' ? 'server' : 'normal',
      data: user.data,
      custom_data: customData ?? (await this.customData.find(userId)) ?? {},
      identities: user.identities,
    };
  }

  /** The first `limit` users with their identities and last login (the newest session), for the admin API. */
  async list(limit: number) {
    const users = await this.store.users.find({}, { sort: { _id: 1 }, limit }).toArray();
    const sessions = await this.store.sessions
      .find(
        { userId: { $in: users.map((u) => u._id.toHexString()) } },
        { projection: { userId: 1, createdAt: 1 } },
      )
      .toArray();
    const lastLogin = new Map<string, Date>();
    for (const s of sessions) {
      const seen = lastLogin.get(s.userId);
      if (!seen || seen < s.createdAt) lastLogin.set(s.userId, s.createdAt);
    }
    return users.map((u) => ({
      id: u._id.toHexString(),
      type: u.type,
      identities: u.identities.map((i) => ({
        id: i.id,
        provider_type: i.provider_type,
        email: i.provider_data?.email,
      })),
      createdAt: u.createdAt.toISOString(),
      lastLoginAt: lastLogin.get(u._id.toHexString())?.toISOString() ?? null,
    }));
  }

  /** Removes the user, their sessions, keys and identities; the custom data stays. */
  async delete(userId: string): Promise<void> {
    if (!ObjectId.isValid(userId)) return;
    const user = await this.store.users.findOne({ _id: new ObjectId(userId) });
    if (user)
      await this.runHook('DELETE trigger', () => this.hooks.onUserDeleted(this.asFunctionUser(user, {})));
    await this.store.sessions.deleteMany({ userId });
    await this.store.credentials.updateMany({ userId }, { $set: { userDeleted: true } });
    await this.store.externalIdentities.deleteMany({ userId });
    await this.store.db.collection('api_keys').deleteMany({ userId });
    await this.store.users.deleteOne({ _id: new ObjectId(userId) });
  }

  private async insert(identities: IdentityDoc[], data: Record<string, unknown>, type: UserDoc['type']) {
    const _id = new ObjectId();
    await this.store.users.insertOne({ _id, type, identities, data, createdAt: new Date(this.now()) });
    return _id.toHexString();
  }

  private async mergeData(userId: string, data: Record<string, unknown>): Promise<void> {
    const set = Object.fromEntries(Object.entries(data).map(([k, v]) => [`data.${k}`, v]));
    await this.store.users.updateOne({ _id: new ObjectId(userId) }, { $set: set });
  }

  private async runCreated(userId: string): Promise<void> {
    const user = await this.require(userId);
    await this.runHook('user creation function', () =>
      this.hooks.onUserCreated(this.asFunctionUser(user, {})),
    );
  }

  /** Hooks are the app's code: a failing one is logged (its message only), and the request goes on. */
  private async runHook(what: string, run: () => Promise<void>): Promise<void> {
    try {
      await run();
    } catch (error) {
      this.logger.error({ err: { message: (error as Error).message } }, `${what} failed`);
    }
  }

  private asFunctionUser(user: UserDoc, customData: Document): FunctionUser {
    return {
      id: user._id.toHexString(),
      type: user.type === 'server' ? 'server' : 'normal',
      data: user.data,
      custom_data: customData,
      identities: user.identities,
    };
  }
}
