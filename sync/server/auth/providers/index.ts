/**
 * The configured providers, by name (realm-web and Realm Core put the name in the URL). A login
 * body goes to its provider, which proves an identity (or, for API keys, a user) or refuses.
 */
import { ObjectId } from 'mongodb';
import { AppError, ErrorCode, Messages } from '../../../protocol/index.js';
import type { LoginThrottle } from '../login-throttle.js';
import type { Store } from '../store.js';
import { DOMAIN_ID, type ProvenIdentity } from '../users.js';
import type { ApiKeys } from './api-keys.js';
import { CustomFunctionProvider } from './custom-function.js';
import { CustomTokenProvider } from './custom-token.js';
import type { ResolvedProvider } from './provider-config.js';
import type { ProviderServices } from './shared.js';
import { UserpassProvider } from './userpass.js';

export type LoginProof =
  /** An identity whose owner logs in (created at the first login). */
  | { kind: 'identity'; proven: ProvenIdentity }
  /** A user that exists already (API keys): no identity changes hands. */
  | { kind: 'user'; userId: string; apiKeyId: string }
  /** A new anonymous user. */
  | { kind: 'anonymous'; identity: ProvenIdentity['identity'] };

type Handler =
  | { type: 'disabled' }
  | { type: 'anon-user' }
  | { type: 'api-key' }
  | { type: 'local-userpass'; provider: UserpassProvider }
  | { type: 'custom-token'; provider: CustomTokenProvider }
  | { type: 'custom-function'; provider: CustomFunctionProvider };

export class AuthProviders {
  private readonly handlers = new Map<string, Handler>();

  constructor(
    resolved: Map<string, ResolvedProvider>,
    store: Store,
    throttle: LoginThrottle,
    readonly apiKeys: ApiKeys,
    services: ProviderServices,
  ) {
    for (const [name, provider] of resolved) {
      switch (provider.type) {
        case 'local-userpass':
          this.handlers.set(name, {
            type: provider.type,
            provider: new UserpassProvider(provider.config, store, throttle, services),
          });
          break;
        case 'custom-token':
          this.handlers.set(name, {
            type: provider.type,
            provider: new CustomTokenProvider(
              provider.entry,
              provider.config,
              provider.signingKeys,
              store,
              services.now,
            ),
          });
          break;
        case 'custom-function':
          this.handlers.set(name, {
            type: provider.type,
            provider: new CustomFunctionProvider(provider.entry, provider.authFunctionName, store, services),
          });
          break;
        default:
          this.handlers.set(name, { type: provider.type });
      }
    }
  }

  /** Whether an enabled provider of this type exists (e.g. API-key routes need `api-key`). */
  has(type: Handler['type']): boolean {
    return [...this.handlers.values()].some((handler) => handler.type === type);
  }

  isAnonymous(name: string): boolean {
    return this.handlers.get(name)?.type === 'anon-user';
  }

  /** The e-mail/password provider of that name, for its register/confirm/reset routes. */
  userpass(name: string): UserpassProvider {
    const handler = this.handler(name);
    if (handler.type !== 'local-userpass') throw notFound(name);
    return handler.provider;
  }

  async prove(name: string, body: Record<string, unknown>, address: string): Promise<LoginProof> {
    const handler = this.handler(name);
    switch (handler.type) {
      case 'anon-user':
        return {
          kind: 'anonymous',
          identity: { id: new ObjectId().toHexString(), provider_type: 'anon-user', provider_id: DOMAIN_ID },
        };
      case 'local-userpass': {
        const { username, password } = body;
        if (typeof username !== 'string' || typeof password !== 'string' || !username || !password)
          throw new AppError(400, ErrorCode.MissingParameter, 'username and password are required');
        return { kind: 'identity', proven: await handler.provider.prove(username, password, address) };
      }
      case 'api-key': {
        const owner = await this.apiKeys.owner(body.key);
        return { kind: 'user', userId: owner.userId, apiKeyId: owner.keyId };
      }
      case 'custom-token':
        return { kind: 'identity', proven: await handler.provider.prove(body.token) };
      case 'custom-function': {
        // The payload is the body itself (realm-web and Core send it as is), less our own keys.
        const { options: _options, provider: _provider, ...payload } = body;
        return { kind: 'identity', proven: await handler.provider.prove(payload) };
      }
      default:
        throw disabled(name);
    }
  }

  private handler(name: string): Handler {
    const handler = this.handlers.get(name);
    if (!handler) throw notFound(name);
    if (handler.type === 'disabled') throw disabled(name);
    return handler;
  }
}

/** App Services answered an unknown and a disabled provider alike (since 2024: "unauthorized"). */
function notFound(_name: string): AppError {
  return new AppError(401, ErrorCode.InvalidSession, Messages.unauthorized);
}

function disabled(name: string): AppError {
  return notFound(name);
}
