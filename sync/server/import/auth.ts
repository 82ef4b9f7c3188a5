/** The auth part of an export: providers (and the secrets they name), custom user data. */
import { type ImportStep, ImportStopped } from './read-export.js';

export function importAuth({ dir, config, secrets, done, skip }: ImportStep): void {
  const providers = readProviders({ dir, done, skip });
  if (providers) {
    config.authProviders = providers;
    const used = Object.values(providers).flatMap((p) =>
      Object.values(
        ((p as { secret_config?: Record<string, unknown> }).secret_config ?? {}) as Record<string, unknown>,
      ).flat(),
    );
    const providerSecrets: Record<string, string> = {};
    for (const name of used.map(String)) {
      if (secrets[name] === undefined)
        throw new ImportStopped(
          'auth/providers.json',
          `secret '${name}' is named by a provider but --secrets does not hold it`,
        );
      providerSecrets[name] = secrets[name] as string;
    }
    config.secrets = providerSecrets;
  }
  const customUserData = dir.optionalJson<Record<string, unknown>>('auth/custom_user_data.json');
  if (customUserData) {
    config.customData = {
      enabled: customUserData.enabled === true,
      ...(typeof customUserData.mongo_service_name === 'string'
        ? { serviceName: customUserData.mongo_service_name }
        : {}),
      ...(typeof customUserData.database_name === 'string' ? { database: customUserData.database_name } : {}),
      ...(typeof customUserData.collection_name === 'string'
        ? { collection: customUserData.collection_name }
        : {}),
      ...(typeof customUserData.user_id_field === 'string'
        ? { userIdField: customUserData.user_id_field }
        : {}),
    };
    if (typeof customUserData.on_user_creation_function_name === 'string')
      config.userCreationFunction = customUserData.on_user_creation_function_name;
    done(
      'auth/custom_user_data.json',
      customUserData.enabled === true ? 'custom user data' : 'custom user data (disabled)',
    );
  }
}

const SUPPORTED_PROVIDERS = new Set([
  'anon-user',
  'local-userpass',
  'api-key',
  'custom-token',
  'custom-function',
]);

function readProviders({
  dir,
  done,
  skip,
}: Pick<ImportStep, 'dir' | 'done' | 'skip'>): Record<string, unknown> | undefined {
  if (dir.has('auth/providers.json')) {
    const all = dir.json<Record<string, { type?: string; disabled?: boolean }>>('auth/providers.json');
    const providers: Record<string, unknown> = {};
    for (const [name, provider] of Object.entries(all)) {
      // OAuth providers need the cloud's redirect flow: their users cannot log in here (reported).
      if (!provider.disabled && !SUPPORTED_PROVIDERS.has(String(provider.type)))
        skip(
          `auth/providers.json#${name}`,
          `provider type ${String(provider.type)} is not supported; its users cannot log in`,
        );
      else providers[name] = provider;
    }
    done('auth/providers.json', `auth providers: ${Object.keys(providers).join(', ')}`);
    return providers;
  }
  // Older exports: one file per provider under auth_providers/.
  const files = dir.under('auth_providers').filter((f) => f.endsWith('.json'));
  if (files.length === 0) return undefined;
  const providers: Record<string, unknown> = {};
  for (const file of files) {
    const provider = dir.json<{ name: string }>(file);
    providers[provider.name] = provider;
    done(file, `auth provider ${provider.name}`);
  }
  return providers;
}
