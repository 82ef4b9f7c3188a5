/**
 * Sessions: a refresh token (a JWT, found by its SHA-256) per login and device, access tokens
 * minted from it with the custom data read at that moment, logout and revocation. The login
 * trigger runs here, before the first access token, so what it writes is in that token.
 * A refresh finds its session in the session view (sync/server/session-view) when that is
 * current, so it reads only the custom data; sessions ended here leave the view at once.
 */
import { ObjectId } from 'mongodb';
import { AppError, ErrorCode, type LoginResponse, Messages } from '../../protocol/index.js';
import type { CustomDataStore } from '../custom-data.js';
import type { FunctionUser } from '../functions/index.js';
import type { Logger } from '../logger.js';
import type { SessionView } from '../session-view/index.js';
import type { SessionDoc, Store } from './store.js';
import { hashRefreshToken, type TokenService } from './tokens.js';
import type { Users } from './users.js';

export interface SessionOptions {
  accessTokenTtlSeconds: () => number;
  refreshTokenTtlSeconds: number;
  now: () => number;
  /** This instance's view of the sessions collection; none: every refresh reads its session. */
  view?: SessionView<SessionDoc>;
}

export const ZERO_DEVICE = '000000000000000000000000';

export class Sessions {
  constructor(
    private readonly store: Store,
    readonly tokens: TokenService,
    private readonly customData: CustomDataStore,
    private readonly users: Users,
    private readonly onLogin: (user: FunctionUser) => Promise<void>,
    private readonly options: SessionOptions,
    private readonly logger: Logger,
  ) {}

  async start(
    userId: string,
    deviceHint: unknown,
    extra: { apiKeyId?: string } = {},
  ): Promise<LoginResponse> {
    const user = await this.users.require(userId);
    if (user.disabled) throw new AppError(401, ErrorCode.UserDisabled, 'user disabled');
    const now = this.options.now();
    // A login writes only its session: the last login is the newest session (the admin API
    // reads it there); the login trigger (e.g. stampLastLogin) writes custom data.
    try {
      await this.onLogin(await this.users.functionUser(userId));
    } catch (error) {
      this.logger.error({ err: { message: (error as Error).message } }, 'login trigger failed');
    }
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
      ...(extra.apiKeyId ? { apiKeyId: extra.apiKeyId } : {}),
    });
    const access = await this.mintAccess(userId, deviceId);
    return { access_token: access.token, refresh_token: refresh.token, user_id: userId, device_id: deviceId };
  }

  /** The live session behind a refresh token (read from the database), or 401 InvalidSession. */
  async find(refreshToken: string): Promise<SessionDoc> {
    const hash = hashRefreshToken(refreshToken);
    return this.live(await this.read(hash));
  }

  async refresh(refreshToken: string): Promise<{ access_token: string }> {
    const hash = hashRefreshToken(refreshToken);
    const { view } = this.options;
    const session = await this.live(
      view ? await view.find(hash, () => this.read(hash)) : await this.read(hash),
    );
    const access = await this.mintAccess(session.userId, session.deviceId);
    return { access_token: access.token };
  }

  /** Idempotent: an unknown or revoked refresh token also succeeds. */
  async logout(refreshToken: string | undefined): Promise<void> {
    if (!refreshToken) return;
    const hash = hashRefreshToken(refreshToken);
    await this.store.sessions.deleteOne({ _id: hash });
    this.options.view?.ended(hash);
  }

  /** Every session of the user was deleted here (user deletion): none may be used from the view. */
  endedForUser(userId: string): void {
    this.options.view?.endedForUser(userId);
  }

  private read(hash: string): Promise<SessionDoc | null> {
    return this.store.sessions.findOne({ _id: hash });
  }

  /** The session if it exists and has not expired (an expired one is deleted), else 401. */
  private async live(session: SessionDoc | null): Promise<SessionDoc> {
    if (!session) throw new AppError(401, ErrorCode.InvalidSession, Messages.refreshTokenNotFound);
    if (session.expiresAt.getTime() <= this.options.now()) {
      await this.store.sessions.deleteOne({ _id: session._id });
      this.options.view?.ended(session._id);
      throw new AppError(401, ErrorCode.InvalidSession, Messages.refreshTokenNotFound);
    }
    return session;
  }

  /**
   * A write needs a live session: the user's session on this device still exists (deleting a
   * user or revoking sessions removes them). One indexed read; reads and refresh skip it.
   */
  async assertLive(claims: { sub: string; baas_device_id?: string }): Promise<void> {
    const session = await this.store.sessions.findOne(
      { userId: claims.sub, deviceId: claims.baas_device_id ?? ZERO_DEVICE },
      { projection: { _id: 1 } },
    );
    if (!session)
      throw new AppError(401, ErrorCode.InvalidSession, 'invalid session: session revoked or user deleted');
  }

  async revokeAll(userId: string): Promise<number> {
    const { deletedCount } = await this.store.sessions.deleteMany({ userId });
    this.endedForUser(userId);
    return deletedCount;
  }

  async mintAccess(userId: string, deviceId: string) {
    const claim = await this.customData.claim(userId);
    return this.tokens.mintAccess({
      userId,
      deviceId,
      userData: claim.userData,
      userDataOmitted: claim.omitted,
      ttlSeconds: this.options.accessTokenTtlSeconds(),
    });
  }
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
