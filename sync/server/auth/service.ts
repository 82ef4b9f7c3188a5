/**
 * The auth facade the routes call: login through any provider, linking, refresh, logout,
 * profile and deletion. Providers prove who someone is; `Users` finds or creates the user;
 * `Sessions` hands out the tokens, which embed the custom data read at that moment.
 */
import { ObjectId } from 'mongodb';
import { AppError, ErrorCode, type LoginResponse, type ProfileResponse } from '../../protocol/index.js';
import type { FunctionUser } from '../functions/index.js';
import type { AuthProviders } from './providers/index.js';
import { type Sessions, ZERO_DEVICE } from './sessions.js';
import type { Store, UserDoc } from './store.js';
import type { TokenService } from './tokens.js';
import { DOMAIN_ID, type Users } from './users.js';

export interface AuthHooks {
  /** Runs once for a newly created user (the configured user creation function). */
  onUserCreated(user: FunctionUser): Promise<void>;
  /** Runs at every login before the access token is minted (the login trigger). */
  onLogin(user: FunctionUser): Promise<void>;
  /** Runs before a user is deleted (DELETE authentication triggers). */
  onUserDeleted(user: FunctionUser): Promise<void>;
}

export class AuthService {
  constructor(
    readonly store: Store,
    readonly tokens: TokenService,
    readonly users: Users,
    readonly sessions: Sessions,
    readonly providers: AuthProviders,
  ) {}

  async register(providerName: string, email: string, password: string, address: string): Promise<void> {
    await this.providers.userpass(providerName).register(email, password, address);
  }

  async login(
    providerName: string,
    body: Record<string, unknown>,
    deviceHint: unknown,
    address: string,
  ): Promise<LoginResponse> {
    const proof = await this.providers.prove(providerName, body, address);
    switch (proof.kind) {
      case 'anonymous':
        return this.sessions.start(await this.users.createOwned(proof.identity), deviceHint);
      case 'user':
        return this.sessions.start(proof.userId, deviceHint, { apiKeyId: proof.apiKeyId });
      case 'identity':
        return this.sessions.start(await this.users.ownerOrCreate(proof.proven), deviceHint);
    }
  }

  /** Adds the identity proved by `body` to the user behind `accessToken` (`login?link=true`). */
  async link(
    accessToken: string,
    providerName: string,
    body: Record<string, unknown>,
    address: string,
  ): Promise<LoginResponse> {
    const claims = await this.tokens.verifyAccess(accessToken);
    const user = await this.users.require(claims.sub);
    // The access token is valid: a refused credential must not look like an invalid session
    // (a 401 makes realm-web and Realm Core refresh and retry).
    const proof = await this.providers.prove(providerName, body, address).catch((error: unknown) => {
      if (error instanceof AppError && error.status === 401)
        throw new AppError(403, error.code, error.message);
      throw error;
    });
    if (proof.kind !== 'identity')
      throw new AppError(400, ErrorCode.BadRequest, `an identity of '${providerName}' cannot be linked`);
    const userId = user._id.toHexString();
    await this.users.link(userId, proof.proven);
    const deviceId = claims.baas_device_id ?? ZERO_DEVICE;
    const access = await this.sessions.mintAccess(userId, deviceId);
    return { access_token: access.token, refresh_token: null, user_id: userId, device_id: deviceId };
  }

  refresh(refreshToken: string): Promise<{ access_token: string }> {
    return this.sessions.refresh(refreshToken);
  }

  logout(refreshToken: string | undefined): Promise<void> {
    return this.sessions.logout(refreshToken);
  }

  async profile(accessToken: string): Promise<ProfileResponse> {
    const claims = await this.tokens.verifyAccess(accessToken);
    const user = await this.users.require(claims.sub);
    return {
      user_id: user._id.toHexString(),
      domain_id: DOMAIN_ID,
      type: user.type,
      identities: user.identities,
      data: user.data,
    };
  }

  /** Deletes the user, their sessions and keys; their custom data stays (a separate call). */
  async deleteUser(accessToken: string): Promise<void> {
    const claims = await this.tokens.verifyAccess(accessToken);
    await this.users.delete(claims.sub);
    this.sessions.endedForUser(claims.sub);
  }

  /** A server API key (admin API) and the server user it logs in as; the key is shown once. */
  async createServerApiKey(name: string) {
    const identity = {
      id: new ObjectId().toHexString(),
      provider_type: 'api-key' as const,
      provider_id: DOMAIN_ID,
    };
    const userId = await this.users.createOwned(identity, 'server');
    try {
      return { ...(await this.providers.apiKeys.create(userId, name, true)), userId };
    } catch (error) {
      await this.users.delete(userId);
      throw error;
    }
  }

  /** Deletes a server API key and its server user (their sessions end with it). */
  async deleteServerApiKey(keyId: string): Promise<void> {
    const key = (await this.providers.apiKeys.listServer()).find((k) => k._id === keyId);
    if (!key) throw new AppError(404, ErrorCode.APIKeyNotFound, 'API key not found');
    await this.users.delete(key.userId);
    this.sessions.endedForUser(key.userId);
  }

  assertLiveSession(claims: { sub: string; baas_device_id?: string }): Promise<void> {
    return this.sessions.assertLive(claims);
  }

  revokeSessions(userId: string): Promise<number> {
    return this.sessions.revokeAll(userId);
  }

  functionUser(userId: string, customData?: Record<string, unknown>): Promise<FunctionUser> {
    return this.users.functionUser(userId, customData);
  }

  requireUser(userId: string): Promise<UserDoc> {
    return this.users.require(userId);
  }
}
