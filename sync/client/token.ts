/** Reads what the engine needs from an access token (it never verifies: the server does). */
import { decodeJwt } from 'jose';
import { accessTokenClaimsSchema, parseEJSONText } from '../protocol/index.js';

export interface TokenInfo {
  userId: string;
  issuedAt: number;
  expiresAt: number;
  /** The custom data snapshot as canonical EJSON text (`{}` when the claim is absent). */
  userDataEJSON: string;
}

export function readAccessToken(token: string): TokenInfo {
  const claims = accessTokenClaimsSchema.parse(decodeJwt(token));
  const userData = claims.user_data ?? {};
  return {
    userId: claims.sub,
    issuedAt: claims.iat * 1000,
    expiresAt: claims.exp * 1000,
    userDataEJSON: JSON.stringify(userData),
  };
}

/** Custom data as JS values (Dates, numbers, ObjectIds) from canonical EJSON text. */
export function parseUserData(ejson: string): Record<string, unknown> {
  return parseEJSONText(ejson) as Record<string, unknown>;
}
