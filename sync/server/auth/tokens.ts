/**
 * Access and refresh tokens: both JWTs (HS256 pinned, audience = app id), told apart by `typ`.
 * Realm Core reads `exp`/`iat` from the refresh token too, so it must be a JWT; yet it stays a
 * bearer for a server-side session, which is found by the SHA-256 of the whole token (a
 * database leak yields no session). Opaque refresh tokens from before the change hash the
 * same way, so they keep working until their session expires.
 */
import { createHash, createHmac, createSecretKey, type KeyObject, randomBytes, webcrypto } from 'node:crypto';
import type { Document } from 'bson';
import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import {
  type AccessTokenClaims,
  AppError,
  accessTokenClaimsSchema,
  ErrorCode,
  Messages,
} from '../../protocol/index.js';

const ALGORITHM = 'HS256';
/** `{"alg":"HS256","typ":"JWT"}`, the protected header of every token minted here. */
const HEADER = Buffer.from(JSON.stringify({ alg: ALGORITHM, typ: 'JWT' })).toString('base64url');

export interface MintAccessInput {
  userId: string;
  deviceId: string;
  /** Canonical EJSON of the custom data document; omitted when the user has none. */
  userData?: Document;
  /** Set when the custom data was left out (too large): why, so clients can say so. */
  userDataOmitted?: { reason: string; bytes: number; limit: number };
  ttlSeconds: number;
}

export class TokenService {
  private readonly issuer: string;
  private readonly hmacKey: KeyObject;
  /** The key as WebCrypto wants it for jose's checks, imported once (not at every verification). */
  private verifyKey: Promise<webcrypto.CryptoKey> | undefined;

  constructor(
    private readonly key: Uint8Array,
    private readonly appId: string,
    private readonly now: () => number,
  ) {
    this.issuer = `customdata-desk:${appId}`;
    this.hmacKey = createSecretKey(key);
  }

  async mintAccess(input: MintAccessInput): Promise<{ token: string; iat: number; exp: number }> {
    const iat = Math.floor(this.now() / 1000);
    const exp = iat + input.ttlSeconds;
    const claims: Record<string, unknown> = { typ: 'access', baas_device_id: input.deviceId };
    if (input.userData !== undefined) claims.user_data = input.userData;
    if (input.userDataOmitted !== undefined) claims.user_data_omitted = input.userDataOmitted;
    // The claims jose's SignJWT set, in its order; signed here with node:crypto's HMAC: jose
    // signs through WebCrypto, importing the key every time (a quarter of a refresh's CPU).
    Object.assign(claims, { sub: input.userId, aud: this.appId, iss: this.issuer, iat, exp });
    return { token: this.sign(claims), iat, exp };
  }

  /** A compact HS256 JWS of `claims` (verified by `jwtVerify` like any other). */
  private sign(claims: Record<string, unknown>): string {
    const input = `${HEADER}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
    return `${input}.${createHmac('sha256', this.hmacKey).update(input).digest('base64url')}`;
  }

  /**
   * A refresh token for a new session. The random `jti` carries the token's secrecy (32 bytes,
   * as the opaque tokens had); the claims are for clients that read them, never trusted here.
   */
  async mintRefresh(input: {
    userId: string;
    deviceId: string;
    ttlSeconds: number;
  }): Promise<MintedRefreshToken> {
    const iat = Math.floor(this.now() / 1000);
    const exp = iat + input.ttlSeconds;
    const token = await new SignJWT({ typ: 'refresh', baas_device_id: input.deviceId })
      .setProtectedHeader({ alg: ALGORITHM, typ: 'JWT' })
      .setSubject(input.userId)
      .setAudience(this.appId)
      .setIssuer(this.issuer)
      .setJti(randomBytes(32).toString('base64url'))
      .setIssuedAt(iat)
      .setExpirationTime(exp)
      .sign(this.key);
    return { token, hash: hashRefreshToken(token), expiresAt: new Date(exp * 1000) };
  }

  /** Verifies an access token; every failure is 401 InvalidSession so realm-web refreshes. */
  async verifyAccess(token: string): Promise<AccessTokenClaims> {
    try {
      this.verifyKey ??= webcrypto.subtle.importKey(
        'raw',
        this.key,
        { name: 'HMAC', hash: 'SHA-256' },
        false,
        ['verify'],
      );
      const { payload } = await jwtVerify(token, await this.verifyKey, {
        algorithms: [ALGORITHM],
        audience: this.appId,
        issuer: this.issuer,
        currentDate: new Date(this.now()),
        typ: 'JWT',
      });
      const claims = accessTokenClaimsSchema.safeParse(payload);
      if (!claims.success || claims.data.typ !== 'access')
        throw new AppError(401, ErrorCode.InvalidSession, Messages.unauthorized);
      return claims.data;
    } catch (error) {
      if (error instanceof AppError) throw error;
      if (error instanceof joseErrors.JWTExpired) {
        throw new AppError(401, ErrorCode.InvalidSession, Messages.accessTokenExpired);
      }
      throw new AppError(401, ErrorCode.InvalidSession, Messages.unauthorized);
    }
  }
}

export interface MintedRefreshToken {
  token: string;
  hash: string;
  expiresAt: Date;
}

export function hashRefreshToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** Reads `Authorization: Bearer <token>`; realm-web sends `Bearer null` for a logged-out user. */
export function bearerToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  if (!match || match[1] === 'null' || match[1] === 'undefined') return undefined;
  return match[1];
}
