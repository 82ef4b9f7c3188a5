/**
 * Auth providers configured as an App Services export's `auth/providers.json` (keys = provider
 * names), with `secret_config` resolved from the config's `secrets`. Checked once at start:
 * a provider the server cannot run stops it with a message naming the provider and the key.
 */
import { z } from 'zod';
import { firstIssueText } from '../../../protocol/index.js';
import { ConfigError } from '../../config.js';

export const PROVIDER_TYPES = [
  'anon-user',
  'local-userpass',
  'api-key',
  'custom-token',
  'custom-function',
] as const;
export type ProviderType = (typeof PROVIDER_TYPES)[number];

const metadataFieldSchema = z.object({
  required: z.boolean().default(false),
  /** Path of the claim in the JWT, dotted (`user.email`). */
  name: z.string().min(1),
  /** Name in the user's profile data; the claim's path by default. */
  field_name: z.string().min(1).optional(),
});
export type MetadataField = z.infer<typeof metadataFieldSchema>;

/** One entry of providers.json, as exported (unknown keys kept: exports carry more). */
export const providerEntrySchema = z
  .object({
    name: z.string().min(1),
    type: z.string().min(1),
    disabled: z.boolean().default(false),
    config: z.record(z.string(), z.unknown()).default({}),
    secret_config: z.record(z.string(), z.union([z.string(), z.array(z.string())])).default({}),
    metadata_fields: z.array(metadataFieldSchema).default([]),
  })
  .loose();
export type ProviderEntry = z.infer<typeof providerEntrySchema>;

export const userpassConfigSchema = z
  .object({
    autoConfirm: z.boolean().default(false),
    emailConfirmationUrl: z.string().optional(),
    confirmEmailSubject: z.string().default('Confirm your e-mail address'),
    runConfirmationFunction: z.boolean().default(false),
    confirmationFunctionName: z.string().optional(),
    resetPasswordUrl: z.string().optional(),
    resetPasswordSubject: z.string().default('Reset your password'),
    runResetFunction: z.boolean().default(false),
    resetFunctionName: z.string().optional(),
  })
  .loose();
export type UserpassConfig = z.infer<typeof userpassConfigSchema>;

export const customTokenConfigSchema = z
  .object({
    signingAlgorithm: z.enum(['HS256', 'RS256']).default('HS256'),
    useJWKURI: z.boolean().default(false),
    jwkURI: z.string().optional(),
    audience: z.union([z.string(), z.array(z.string())]).optional(),
    requireAnyAudience: z.boolean().optional(),
  })
  .loose();
export type CustomTokenConfig = z.infer<typeof customTokenConfigSchema>;

export const customFunctionConfigSchema = z.object({ authFunctionName: z.string().min(1) }).loose();

/** A provider ready to run: its entry, typed config and resolved secrets. */
export type ResolvedProvider =
  | { type: 'disabled'; entry: ProviderEntry }
  | { type: 'anon-user'; entry: ProviderEntry }
  | { type: 'api-key'; entry: ProviderEntry }
  | { type: 'local-userpass'; entry: ProviderEntry; config: UserpassConfig }
  | { type: 'custom-token'; entry: ProviderEntry; config: CustomTokenConfig; signingKeys: string[] }
  | { type: 'custom-function'; entry: ProviderEntry; authFunctionName: string };

/** Without `authProviders`: anonymous and auto-confirmed e-mail/password, as before. */
export const DEFAULT_PROVIDERS: Record<string, unknown> = {
  'anon-user': { name: 'anon-user', type: 'anon-user', disabled: false },
  'local-userpass': {
    name: 'local-userpass',
    type: 'local-userpass',
    disabled: false,
    config: { autoConfirm: true },
  },
};

export interface ProviderEnvironment {
  secrets: Record<string, string>;
  /** Whether a function exists (app functions and built-ins). */
  hasFunction(name: string): boolean;
  /** Whether mail can be sent (SMTP_URL set). */
  canSendMail: boolean;
}

/** Resolves and checks every provider; throws ConfigError naming what is wrong. */
export function resolveProviders(
  raw: Record<string, unknown>,
  env: ProviderEnvironment,
): Map<string, ResolvedProvider> {
  const providers = new Map<string, ResolvedProvider>();
  for (const [key, value] of Object.entries(raw)) {
    const entry = providerEntrySchema.safeParse(value);
    if (!entry.success) throw new ConfigError(`authProviders.${key}: ${firstIssueText(entry.error)}`);
    // A disabled provider is refused at login whatever its config holds (as App Services did).
    const provider: ResolvedProvider = entry.data.disabled
      ? { type: 'disabled', entry: entry.data }
      : resolveOne(entry.data, env);
    providers.set(entry.data.name, provider);
  }
  return providers;
}

function resolveOne(entry: ProviderEntry, env: ProviderEnvironment): ResolvedProvider {
  const where = `auth provider '${entry.name}'`;
  const typed = <T>(schema: z.ZodType<T>): T => {
    const parsed = schema.safeParse(entry.config);
    if (!parsed.success) throw new ConfigError(`${where}: config.${firstIssueText(parsed.error)}`);
    return parsed.data;
  };
  const needFunction = (name: string | undefined, key: string): string => {
    if (!name) throw new ConfigError(`${where}: config.${key} is required`);
    if (!env.hasFunction(name))
      throw new ConfigError(`${where}: function '${name}' (config.${key}) does not exist`);
    return name;
  };
  switch (entry.type) {
    case 'anon-user':
    case 'api-key':
      return { type: entry.type, entry };
    case 'local-userpass': {
      const config = typed(userpassConfigSchema);
      if (!config.autoConfirm) {
        if (config.runConfirmationFunction)
          needFunction(config.confirmationFunctionName, 'confirmationFunctionName');
        else
          requireMail(
            where,
            'e-mail confirmation (autoConfirm is false)',
            config.emailConfirmationUrl,
            'emailConfirmationUrl',
            env,
          );
      }
      if (config.runResetFunction) needFunction(config.resetFunctionName, 'resetFunctionName');
      else if (config.resetPasswordUrl)
        requireMail(where, 'password reset by e-mail', config.resetPasswordUrl, 'resetPasswordUrl', env);
      return { type: 'local-userpass', entry, config };
    }
    case 'custom-token': {
      const config = typed(customTokenConfigSchema);
      if (config.useJWKURI) {
        if (!config.jwkURI) throw new ConfigError(`${where}: config.jwkURI is required with useJWKURI`);
        return { type: 'custom-token', entry, config, signingKeys: [] };
      }
      const names = [entry.secret_config.signingKeys ?? entry.secret_config.signingKey ?? []].flat();
      if (names.length === 0)
        throw new ConfigError(`${where}: secret_config.signingKeys must name at least one secret`);
      const signingKeys = names.map((name) => {
        const value = env.secrets[name];
        if (value === undefined) throw new ConfigError(`${where}: secret '${name}' is not in secrets`);
        return value;
      });
      return { type: 'custom-token', entry, config, signingKeys };
    }
    case 'custom-function': {
      const { authFunctionName } = typed(customFunctionConfigSchema);
      return {
        type: 'custom-function',
        entry,
        authFunctionName: needFunction(authFunctionName, 'authFunctionName'),
      };
    }
    default:
      throw new ConfigError(
        `${where}: type '${entry.type}' is not supported (supported: ${PROVIDER_TYPES.join(', ')})`,
      );
  }
}

function requireMail(
  where: string,
  what: string,
  url: string | undefined,
  key: string,
  env: ProviderEnvironment,
): void {
  if (!url) throw new ConfigError(`${where}: ${what} needs config.${key}`);
  if (!env.canSendMail) throw new ConfigError(`${where}: ${what} sends mail: set SMTP_URL (and MAIL_FROM)`);
}
