/**
 * Access tokens (JWT, HS256 pinned, audience = app id) and opaque refresh tokens.
 * Refresh tokens are stored only as SHA-256 hashes: a database leak yields no session.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Document } from 'bson';
import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import {
  type AccessTokenClaims,
  AppError,
  accessTokenClaimsSchema,
  ErrorCode,
  Messages,
} from '../protocol/index.js';

const ALGORITHM = 'HS256';

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

  constructor(
    private readonly key: Uint8Array,
    private readonly appId: string,
    private readonly now: () => number,
  ) {
    this.issuer = `customdata-desk:${appId}`;
  }

  async mintAccess(input: MintAccessInput): Promise<{ token: string; iat: number; exp: number }> {
    const iat = Math.floor(this.now() / 1000);
    const exp = iat + input.ttlSeconds;
    const claims: Record<string, unknown> = { typ: 'access', baas_device_id: input.deviceId };
    if (input.userData !== undefined) claims.user_data = input.userData;
    if (input.userDataOmitted !== undefined) claims.user_data_omitted = input.userDataOmitted;
    const token = await new SignJWT(claims)
      .setProtectedHeader({ alg: ALGORITHM, typ: 'JWT' })
      .setSubject(input.userId)
      .setAudience(this.appId)
      .setIssuer(this.issuer)
      .setIssuedAt(iat)
      .setExpirationTime(exp)
      .sign(this.key);
    return { token, iat, exp };
  }

  /** Verifies an access token; every failure is 401 InvalidSession so realm-web refreshes. */
  async verifyAccess(token: string): Promise<AccessTokenClaims> {
    try {
      const { payload } = await jwtVerify(token, this.key, {
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

export function newRefreshToken(): { token: string; hash: string } {
  const token = randomBytes(32).toString('base64url');
  return { token, hash: hashRefreshToken(token) };
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
