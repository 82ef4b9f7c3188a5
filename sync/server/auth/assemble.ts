/** Builds the auth part from the server's configuration: providers, users, sessions, mail. */
import type { CustomDataStore } from '../custom-data.js';
import type { Logger } from '../logger.js';
import type { Quotas } from '../quotas.js';
import type { SessionView } from '../session-view/index.js';
import type { LoginThrottle } from './login-throttle.js';
import { linkWith, smtpMailer } from './mail.js';
import { ApiKeys } from './providers/api-keys.js';
import { AuthProviders } from './providers/index.js';
import { DEFAULT_PROVIDERS, resolveProviders } from './providers/provider-config.js';
import { type AuthHooks, AuthService } from './service.js';
import { Sessions } from './sessions.js';
import type { SessionDoc, Store } from './store.js';
import type { TokenService } from './tokens.js';
import { Users } from './users.js';

export interface AuthAssembly {
  authProviders?: Record<string, unknown>;
  secrets: Record<string, string>;
  smtpUrl?: string;
  mailFrom: string;
  accessTokenTtlSeconds: () => number;
  refreshTokenTtlSeconds: number;
  store: Store;
  tokens: TokenService;
  customData: CustomDataStore;
  /** This instance's view of the sessions collection (refresh reads only the custom data). */
  sessionView?: SessionView<SessionDoc>;
  throttle: LoginThrottle;
  quotas: Quotas;
  hooks: AuthHooks;
  /** Runs an app function as the system user (auth, confirmation and reset functions). */
  runSystemFunction(name: string, args: unknown[]): Promise<unknown>;
  hasFunction(name: string): boolean;
  now: () => number;
  logger: Logger;
}

export async function assembleAuth(input: AuthAssembly): Promise<{ auth: AuthService; close(): void }> {
  const resolved = resolveProviders(input.authProviders ?? DEFAULT_PROVIDERS, {
    secrets: input.secrets,
    hasFunction: input.hasFunction,
    canSendMail: input.smtpUrl !== undefined,
  });
  const mailer = input.smtpUrl ? smtpMailer(input.smtpUrl, input.mailFrom) : undefined;
  const apiKeys = new ApiKeys(input.store.db, input.now);
  await apiKeys.ensureIndexes();
  const providers = new AuthProviders(resolved, input.store, input.throttle, apiKeys, {
    now: input.now,
    runFunction: input.runSystemFunction,
    hitMailLimits: (email, address) => input.quotas.hitMail(email, address),
    async sendMail(to, subject, url, params) {
      if (!mailer) throw new Error('no mail transport (checked at start)');
      await mailer.send({ to, subject, text: `${subject}:\n\n${linkWith(url, params)}\n` });
    },
  });
  const users = new Users(input.store, input.customData, input.hooks, input.now, input.logger);
  const sessions = new Sessions(
    input.store,
    input.tokens,
    input.customData,
    users,
    input.hooks.onLogin,
    {
      accessTokenTtlSeconds: input.accessTokenTtlSeconds,
      refreshTokenTtlSeconds: input.refreshTokenTtlSeconds,
      now: input.now,
      view: input.sessionView,
    },
    input.logger,
  );
  return {
    auth: new AuthService(input.store, input.tokens, users, sessions, providers),
    close: () => mailer?.close(),
  };
}
