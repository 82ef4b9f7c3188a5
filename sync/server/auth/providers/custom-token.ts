/**
 * Custom JWT (`custom-token`): an identity provider's token, checked with jose. HS256 against
 * every key in `signingKeys` (so a key can be rotated by listing both), RS256 against PEM keys or
 * a JWK set (`useJWKURI`: fetched, cached, refetched for an unknown `kid`). The token's `sub` is
 * the identity; `metadata_fields` are copied into the user's profile data.
 */
import { createSecretKey, type KeyObject } from 'node:crypto';
import {
  createLocalJWKSet,
  importSPKI,
  type JSONWebKeySet,
  type JWTPayload,
  type JWTVerifyGetKey,
  errors as joseErrors,
  jwtVerify,
} from 'jose';
import { AppError, ErrorCode } from '../../../protocol/index.js';
import type { Store } from '../store.js';
import { DOMAIN_ID, type ProvenIdentity } from '../users.js';
import { externalIdentity, loginRefused } from './external.js';
import type { CustomTokenConfig, MetadataField, ProviderEntry } from './provider-config.js';

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
      const keySet = new RemoteKeySet(config.jwkURI, now);
      this.jwks = (header, token) => keySet.key(header, token);
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
      if (error instanceof AppError) throw error;
      throw loginRefused(verdict(error));
    }
  }
}

/**
 * The identity provider's JWK set, cached for 10 minutes and fetched again at once for a key id
 * it lacks (a rotation), but at most every 30 s: tokens naming made-up key ids cannot make us
 * hammer the provider. Times are the server's clock (tests move it). An unreachable set is 503.
 */
class RemoteKeySet {
  private keys: JWTVerifyGetKey | undefined;
  private fetchedAt = Number.NEGATIVE_INFINITY;
  private loading: Promise<void> | undefined;

  constructor(
    private readonly url: string,
    private readonly now: () => number,
    private readonly cooldownMs = 30_000,
    private readonly maxAgeMs = 600_000,
  ) {}

  async key(...[header, token]: Parameters<JWTVerifyGetKey>) {
    if (!this.keys || this.now() - this.fetchedAt > this.maxAgeMs) await this.reload();
    try {
      return await (this.keys as JWTVerifyGetKey)(header, token);
    } catch (error) {
      if (!(error instanceof joseErrors.JWKSNoMatchingKey) || this.now() - this.fetchedAt < this.cooldownMs)
        throw error;
      await this.reload();
      return (this.keys as JWTVerifyGetKey)(header, token);
    }
  }

  private reload(): Promise<void> {
    this.loading ??= (async () => {
      try {
        const response = await fetch(this.url, { signal: AbortSignal.timeout(5_000) });
        if (!response.ok) throw new Error(`status ${response.status}`);
        this.keys = createLocalJWKSet((await response.json()) as JSONWebKeySet);
        this.fetchedAt = this.now();
      } catch {
        throw new AppError(
          503,
          ErrorCode.ServiceUnavailable,
          'the JWK set of the custom JWT provider cannot be fetched; try again',
        );
      } finally {
        this.loading = undefined;
      }
    })();
    return this.loading;
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
