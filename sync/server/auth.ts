/**
 * Users, identities and sessions: register, login (email/password, anonymous), linking,
 * refresh, logout and deletion. Tokens embed the custom data read at login and at every
 * refresh — the only way new custom data reaches realm-web.
 */
import { ObjectId } from 'mongodb';
import {
  AppError,
  ErrorCode,
  type LoginResponse,
  Messages,
  type ProfileResponse,
} from '../protocol/index.js';
import type { CustomDataStore } from './custom-data.js';
import type { FunctionUser } from './functions.js';
import type { Logger } from './logger.js';
import type { LoginThrottle } from './login-throttle.js';
import { DUMMY_HASH, hashPassword, verifyPassword } from './passwords.js';
import type { IdentityDoc, ProviderType, Store, UserDoc } from './store.js';
import { hashRefreshToken, type TokenService } from './tokens.js';

export interface AuthHooks {
  /** Runs once for a newly created user (the configured user creation function). */
  onUserCreated(user: FunctionUser): Promise<void>;
  /** Runs at every login before the access token is minted (the login trigger). */
  onLogin(user: FunctionUser): Promise<void>;
}

export interface AuthOptions {
  appId: string;
  accessTokenTtlSeconds: () => number;
  refreshTokenTtlSeconds: number;
  now: () => number;
}

const ZERO_DEVICE = '000000000000000000000000';
/** A fixed id for the domain and provider ids in profiles (realm-web does not read them). */
const DOMAIN_ID = '000000000000000000000001';

export class AuthService {
  constructor(
    readonly store: Store,
    readonly tokens: TokenService,
    private readonly customData: CustomDataStore,
    private readonly throttle: LoginThrottle,
    private readonly hooks: AuthHooks,
    private readonly options: AuthOptions,
    private readonly logger: Logger,
  ) {}

  async register(email: string, password: string): Promise<void> {
    assertPlainEmail(email);
    const id = normaliseEmail(email);
    const doc = {
      _id: id,
      passwordHash: await hashPassword(password),
      identityId: new ObjectId().toHexString(),
      userId: null,
      createdAt: new Date(this.options.now()),
    };
    // An email whose user was deleted may be registered again.
    const replaced = await this.store.credentials.replaceOne({ _id: id, userDeleted: true }, doc);
    if (replaced.matchedCount === 1) return;
    try {
      await this.store.credentials.insertOne(doc);
    } catch (error) {
      if ((error as { code?: number }).code === 11000)
        throw new AppError(409, ErrorCode.AccountNameInUse, Messages.nameInUse);
      throw error;
    }
  }

  async loginWithPassword(
    email: string,
    password: string,
    deviceHint: unknown,
    address = 'unknown',
  ): Promise<LoginResponse> {
    const credential = await this.checkPassword(email, password, address);
    let userId = credential.userId;
    if (userId === null) {
      userId = await this.claimCredential(credential._id, () =>
        this.createUser(
          [
            {
              id: credential.identityId,
              provider_type: 'local-userpass',
              provider_id: DOMAIN_ID,
              provider_data: { email: credential._id },
            },
          ],
          { email: credential._id },
        ),
      );
    }
    return this.startSession(userId, deviceHint);
  }

  async loginAnonymous(deviceHint: unknown): Promise<LoginResponse> {
    const userId = await this.createUser(
      [{ id: new ObjectId().toHexString(), provider_type: 'anon-user', provider_id: DOMAIN_ID }],
      {},
    );
    return this.startSession(userId, deviceHint);
  }

  /** Links email/password to the user behind `accessToken` (`login?link=true`). */
  async linkPassword(
    accessToken: string,
    email: string,
    password: string,
    address = 'unknown',
  ): Promise<LoginResponse> {
    const claims = await this.tokens.verifyAccess(accessToken);
    const user = await this.requireUser(claims.sub);
    // The access token is valid: a refused credential must not look like an invalid session
    // (a 401 makes realm-web refresh and retry forever).
    const credential = await this.checkPassword(email, password, address).catch((error: unknown) => {
      if (error instanceof AppError && error.status === 401)
        throw new AppError(403, error.code, error.message);
      throw error;
    });
    const userId = user._id.toHexString();
    if (credential.userId !== userId) {
      const claimed = await this.store.credentials.updateOne(
        { _id: credential._id, userId: null },
        { $set: { userId } },
      );
      if (claimed.modifiedCount !== 1) {
        throw new AppError(
          409,
          ErrorCode.AccountNameInUse,
          'a user already exists with the specified provider',
        );
      }
      const identity: IdentityDoc = {
        id: credential.identityId,
        provider_type: 'local-userpass',
        provider_id: DOMAIN_ID,
        provider_data: { email: credential._id },
      };
      await this.store.users.updateOne(
        { _id: user._id },
        { $push: { identities: identity }, $set: { 'data.email': credential._id } },
      );
    }
    const deviceId = claims.baas_device_id ?? ZERO_DEVICE;
    const access = await this.mintAccess(userId, deviceId);
    return { access_token: access.token, refresh_token: null, user_id: userId, device_id: deviceId };
  }

  async refresh(refreshToken: string): Promise<{ access_token: string }> {
    const session = await this.store.sessions.findOne({ _id: hashRefreshToken(refreshToken) });
    if (!session) throw new AppError(401, ErrorCode.InvalidSession, Messages.refreshTokenNotFound);
    if (session.expiresAt.getTime() <= this.options.now()) {
      await this.store.sessions.deleteOne({ _id: session._id });
      throw new AppError(401, ErrorCode.InvalidSession, Messages.refreshTokenNotFound);
    }
    const access = await this.mintAccess(session.userId, session.deviceId);
    return { access_token: access.token };
  }

  /** Idempotent: an unknown or revoked refresh token also succeeds. */
  async logout(refreshToken: string | undefined): Promise<void> {
    if (refreshToken) await this.store.sessions.deleteOne({ _id: hashRefreshToken(refreshToken) });
  }

  async profile(accessToken: string): Promise<ProfileResponse> {
    const claims = await this.tokens.verifyAccess(accessToken);
    const user = await this.requireUser(claims.sub);
    return {
      user_id: user._id.toHexString(),
      domain_id: DOMAIN_ID,
      type: user.type,
      identities: user.identities,
      data: user.data,
    };
  }

  /** Deletes the user and their sessions; their custom data stays (deleting it is a separate call). */
  async deleteUser(accessToken: string): Promise<void> {
    const claims = await this.tokens.verifyAccess(accessToken);
    const userId = claims.sub;
    if (!ObjectId.isValid(userId)) return;
    await this.store.sessions.deleteMany({ userId });
    await this.store.credentials.updateMany({ userId }, { $set: { userDeleted: true } });
    await this.store.users.deleteOne({ _id: new ObjectId(userId) });
  }

  /**
   * A write needs a live session: the user's session on this device still exists (deleting a
   * user or revoking sessions removes them). One indexed read; reads and refresh skip it.
   */
  async assertLiveSession(claims: { sub: string; baas_device_id?: string }): Promise<void> {
    const session = await this.store.sessions.findOne(
      { userId: claims.sub, deviceId: claims.baas_device_id ?? ZERO_DEVICE },
      { projection: { _id: 1 } },
    );
    if (!session)
      throw new AppError(401, ErrorCode.InvalidSession, 'invalid session: session revoked or user deleted');
  }

  async revokeSessions(userId: string): Promise<number> {
    return (await this.store.sessions.deleteMany({ userId })).deletedCount;
  }

  /** The user as functions see it (`context.user`). */
  async functionUser(userId: string, customData?: Record<string, unknown>): Promise<FunctionUser> {
    const user = await this.requireUser(userId);
    return {
      id: userId,
      type: 'normal',
      data: user.data,
      custom_data: customData ?? (await this.customData.find(userId)) ?? {},
      identities: user.identities,
    };
  }

  async requireUser(userId: string): Promise<UserDoc> {
    const user = ObjectId.isValid(userId)
      ? await this.store.users.findOne({ _id: new ObjectId(userId) })
      : null;
    // 401 makes realm-web try a refresh, which fails for a deleted user and logs it out.
    if (!user) throw new AppError(401, ErrorCode.InvalidSession, 'invalid session: user not found');
    return user;
  }

  private async checkPassword(email: string, password: string, address: string) {
    const id = normaliseEmail(email);
    const wait = await this.throttle.retryAfterMs(id, address);
    if (wait > 0) {
      throw new AppError(
        429,
        ErrorCode.TooManyRequests,
        `too many failed logins; try again in ${Math.ceil(wait / 1000)} s`,
      );
    }
    const credential = await this.store.credentials.findOne({ _id: id });
    const ok = await verifyPassword(password, credential?.passwordHash ?? DUMMY_HASH);
    if (!credential || !ok) {
      await this.throttle.recordFailure(id, address);
      throw new AppError(401, ErrorCode.InvalidPassword, Messages.badLogin);
    }
    if (credential.userDeleted) {
      // As on Atlas: the credentials of a deleted user are refused with "unauthorized".
      throw new AppError(401, ErrorCode.InvalidPassword, Messages.unauthorized);
    }
    await this.throttle.recordSuccess(id);
    return credential;
  }

  /** Sets the credential's user exactly once, even when two first logins race. */
  private async claimCredential(credentialId: string, create: () => Promise<string>): Promise<string> {
    const userId = await create();
    const claimed = await this.store.credentials.updateOne(
      { _id: credentialId, userId: null },
      { $set: { userId } },
    );
    if (claimed.modifiedCount === 1) return userId;
    await this.store.users.deleteOne({ _id: new ObjectId(userId) });
    const winner = await this.store.credentials.findOne({ _id: credentialId });
    if (!winner?.userId) throw new AppError(500, ErrorCode.InternalServerError, 'could not create the user');
    return winner.userId;
  }

  private async createUser(identities: IdentityDoc[], data: Record<string, unknown>): Promise<string> {
    const _id = new ObjectId();
    await this.store.users.insertOne({
      _id,
      type: 'normal',
      identities,
      data,
      createdAt: new Date(this.options.now()),
    });
    const userId = _id.toHexString();
    await this.runHook('user creation function', () =>
      this.hooks.onUserCreated({ id: userId, type: 'normal', data, custom_data: {}, identities }),
    );
    return userId;
  }

  private async startSession(userId: string, deviceHint: unknown): Promise<LoginResponse> {
    await this.requireUser(userId);
    const now = this.options.now();
    // A login writes only its session: the last login is the newest session (the admin API
    // reads it there); the login trigger (e.g. stampLastLogin) writes custom data.
    await this.runHook('login trigger', async () => this.hooks.onLogin(await this.functionUser(userId)));
    const deviceId = deviceIdFrom(deviceHint);
    const refresh = await this.tokens.mintRefresh({
      userId,
      deviceId,
      ttlSeconds: this.options.refreshTokenTtlSeconds,
    });
    await this.store.sessions.insertOne({
      _id: refresh.hash,
      userId,
      deviceId,
      createdAt: new Date(now),
      expiresAt: refresh.expiresAt,
    });
    const access = await this.mintAccess(userId, deviceId);
    return { access_token: access.token, refresh_token: refresh.token, user_id: userId, device_id: deviceId };
  }

  private async mintAccess(userId: string, deviceId: string) {
    const claim = await this.customData.claim(userId);
    return this.tokens.mintAccess({
      userId,
      deviceId,
      userData: claim.userData,
      userDataOmitted: claim.omitted,
      ttlSeconds: this.options.accessTokenTtlSeconds(),
    });
  }

  /** Hooks are the app's code: a failing one is logged, and the login still succeeds. */
  private async runHook(what: string, run: () => Promise<void>): Promise<void> {
    try {
      await run();
    } catch (error) {
      this.logger.error({ err: { message: (error as Error).message } }, `${what} failed`);
    }
  }
}

/** Control, bidi-override and zero-width characters make two emails look alike: refused. */
const INVISIBLE =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
  /[\u0000-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff]/u;

export function assertPlainEmail(email: string): void {
  if (INVISIBLE.test(email))
    throw new AppError(
      400,
      ErrorCode.InvalidParameter,
      'email must not contain control or invisible characters',
    );
}

export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}

/** The device id a client sent (`options.device.deviceId`, `$oid` or hex), else a new one. */
function deviceIdFrom(hint: unknown): string {
  // Duck-typed: the ESM and CJS builds of bson each have their own ObjectId class.
  const candidate =
    typeof hint === 'string'
      ? hint
      : typeof (hint as { toHexString?: unknown } | null)?.toHexString === 'function'
        ? (hint as { toHexString(): string }).toHexString()
        : undefined;
  if (candidate && /^[0-9a-f]{24}$/i.test(candidate) && candidate !== ZERO_DEVICE)
    return candidate.toLowerCase();
  return new ObjectId().toHexString();
}

export type { ProviderType };
