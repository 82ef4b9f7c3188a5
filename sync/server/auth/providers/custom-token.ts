/**
 * Custom JWT (`custom-token`): an identity provider's token, checked with jose. HS256 against
 * every key in `signingKeys` (so a key can be rotated by listing both), RS256 against PEM keys or
 * a JWK set (`useJWKURI`: fetched, cached, refetched for an unknown `kid`). The token's `sub` is
 * the identity; `metadata_fields` are copied into the user's profile data.
 */
import { createSecretKey, type KeyObject } from 'node:crypto';
import {
  createRemoteJWKSet,
  importSPKI,
  type JWTPayload,
  type JWTVerifyGetKey,
  errors as joseErrors,
  jwtVerify,
} from 'jose';
import type { Store } from '../store.js';
import { DOMAIN_ID, type ProvenIdentity } from '../users.js';
import type { CustomTokenConfig, MetadataField, ProviderEntry } from './config.js';
import { externalIdentity, loginRefused } from './external.js';

export class CustomTokenProvider {
  private readonly keys: Promise<Array<KeyObject | Awaited<ReturnType<typeof importSPKI>>>> | undefined;
  private readonly jwks: JWTVerifyGetKey | undefined;

  constructor(
    private readonly entry: ProviderEntry,
    private readonly config: CustomTokenConfig,
    signingKeys: string[],
    private readonly store: Store,
    private readonly now: () => number,
  ) {
    if (config.useJWKURI && config.jwkURI) {
      // jose caches the set and refetches it (at most every 30 s) when a token names a new kid.
      this.jwks = createRemoteJWKSet(new URL(config.jwkURI), {
        cooldownDuration: 30_000,
        cacheMaxAge: 600_000,
      });
    } else {
      this.keys = Promise.all(
        signingKeys.map((key) =>
          config.signingAlgorithm === 'RS256'
            ? importSPKI(key, 'RS256')
            : Promise.resolve(createSecretKey(Buffer.from(key, 'utf8'))),
        ),
      );
    }
  }

  async prove(token: unknown): Promise<ProvenIdentity> {
    if (typeof token !== 'string' || token.length === 0) throw loginRefused('token is required');
    const payload = await this.verify(token);
    if (typeof payload.sub !== 'string' || payload.sub.length === 0)
      throw loginRefused('token must have a "sub" claim');
    const data = metadata(payload, this.entry.metadata_fields);
    return externalIdentity(
      this.store,
      this.entry.name,
      {
        id: payload.sub,
        provider_type: 'custom-token',
        provider_id: DOMAIN_ID,
      },
      data,
    );
  }

  private async verify(token: string): Promise<JWTPayload> {
    const options = {
      algorithms: [this.config.signingAlgorithm],
      currentDate: new Date(this.now()),
      ...(audienceOf(this.config) ? { audience: audienceOf(this.config) } : {}),
    };
    try {
      if (this.jwks) return (await jwtVerify(token, this.jwks, options)).payload;
      let last: unknown;
      for (const key of (await this.keys) ?? []) {
        try {
          return (await jwtVerify(token, key, options)).payload;
        } catch (error) {
          // Another key may have signed it; any other verdict is final.
          if (!(error instanceof joseErrors.JWSSignatureVerificationFailed)) throw error;
          last = error;
        }
      }
      throw last ?? new joseErrors.JWSSignatureVerificationFailed();
    } catch (error) {
      throw loginRefused(verdict(error));
    }
  }
}

function audienceOf(config: CustomTokenConfig): string | string[] | undefined {
  const audience = [config.audience ?? []].flat().filter((a) => a !== '');
  return audience.length === 0 ? undefined : audience;
}

/** What a refused token is told: the reason, never the token. */
function verdict(error: unknown): string {
  if (error instanceof joseErrors.JWTExpired) return 'token is expired';
  if (error instanceof joseErrors.JWTClaimValidationFailed && error.claim === 'aud')
    return 'token audience does not match the configured audience';
  if (error instanceof joseErrors.JWTClaimValidationFailed) return `token claim "${error.claim}" is invalid`;
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) return 'token signature is invalid';
  if (error instanceof joseErrors.JWKSNoMatchingKey) return 'no key of the JWK set verifies the token';
  if (error instanceof joseErrors.JOSEAlgNotAllowed) return 'token is signed with another algorithm';
  if (error instanceof joseErrors.JOSEError) return 'token is malformed or unverifiable';
  return 'token could not be verified';
}

/** The configured metadata fields of the payload; a missing required one refuses the login. */
function metadata(payload: JWTPayload, fields: MetadataField[]): Record<string, unknown> {
  const data: Record<string, unknown> = {};
  for (const field of fields) {
    const value = field.name
      .split('.')
      .reduce<unknown>(
        (node, key) =>
          node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined,
        payload,
      );
    if (value === undefined) {
      if (field.required) throw loginRefused(`required metadata field '${field.name}' is missing`);
      continue;
    }
    data[field.field_name ?? field.name] = value;
  }
  return data;
}
