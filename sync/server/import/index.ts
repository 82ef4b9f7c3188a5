/**
 * `npm run import`: an exported App Services app becomes this backend's config.json plus its
 * functions, with a report of what was imported and every part that was not, by file, with the
 * reason. Parts that would change who may read or write data stop the import instead.
 * One entry point: `importApp`; users come in through `importUsers` (users.ts).
 */
import type { ServerConfigInput } from '../config.js';
import type { AuthTrigger } from '../functions/index.js';
import type { ConfiguredRule } from '../rules.js';
import { ExportDir, ImportStopped } from './read-export.js';
import { translateRules, UnsupportedRule } from './rules.js';

export { ImportStopped } from './read-export.js';
export { importUsers, type UsersReport } from './users.js';

export interface ImportReport {
  imported: string[];
  notImported: Array<{ file: string; reason: string }>;
}

export interface ImportResult {
  config: ServerConfigInput & Record<string, unknown>;
  /** Function sources to write beside the config, by name. */
  functions: Array<{ name: string; source: string }>;
  functionsConfig: unknown[];
  report: ImportReport;
}

export interface ImportOptions {
  secrets?: Record<string, string>;
  environment?: string;
  appId?: string;
}

/** Parts App Services had that this backend does not run, by top-level folder. */
const NOT_RUN: Record<string, string> = {
  sync: 'Device Sync is not part of this backend',
  graphql: 'GraphQL is not part of this backend',
  http_endpoints: 'HTTPS endpoints are not part of this backend',
  https_endpoints: 'HTTPS endpoints are not part of this backend',
  hosting: 'static hosting is not part of this backend',
  log_forwarders: 'log forwarding is not part of this backend',
  services: 'third-party services (legacy) are not part of this backend',
  push: 'push notifications are not part of this backend',
};

export function importApp(root: string, options: ImportOptions = {}): ImportResult {
  const dir = new ExportDir(root);
  const report: ImportReport = { imported: [], notImported: [] };
  const accounted = new Set<string>();
  const done = (file: string, what: string) => {
    accounted.add(file);
    report.imported.push(`${file}: ${what}`);
  };
  const skip = (file: string, reason: string) => {
    accounted.add(file);
    report.notImported.push({ file, reason });
  };
  const secrets = options.secrets ?? {};
  const config: ImportResult['config'] = {};

  // --- the app ---------------------------------------------------------------------------
  const rootFile = ['root_config.json', 'realm_config.json', 'config.json'].find((f) => dir.has(f));
  if (!rootFile)
    throw new ImportStopped(
      root,
      'no root_config.json, realm_config.json or config.json: not an exported app',
    );
  const app = dir.json<Record<string, unknown>>(rootFile);
  const appId = options.appId ?? (typeof app.app_id === 'string' ? app.app_id : undefined);
  config.appId = appId ?? slug(String(app.name ?? 'app'));
  if (typeof app.name === 'string') config.appName = app.name;
  if (Array.isArray(app.allowed_request_origins))
    config.allowedRequestOrigins = app.allowed_request_origins as string[];
  done(
    rootFile,
    `app ${config.appId}${appId ? '' : ' (no app_id in the export: derived from its name; --app-id sets it)'}`,
  );

  // --- values and environments --------------------------------------------------------------
  const environmentName = options.environment ?? (typeof app.environment === 'string' ? app.environment : '');
  const values: Record<string, unknown> = {};
  for (const file of dir.under('values').filter((f) => f.endsWith('.json'))) {
    const value = dir.json<{ name?: string; value?: unknown; from_secret?: boolean }>(file);
    const name = value.name ?? file.slice('values/'.length, -'.json'.length);
    if (value.from_secret) {
      const secret = secrets[String(value.value)];
      if (secret === undefined) {
        skip(
          file,
          `value '${name}' comes from secret '${String(value.value)}', which --secrets does not hold`,
        );
        continue;
      }
      values[name] = secret;
    } else values[name] = value.value;
    done(file, `value ${name}`);
  }
  config.values = values;
  let environmentValues: Record<string, unknown> = {};
  for (const file of dir.under('environments')) {
    const tag = file.slice('environments/'.length, -'.json'.length);
    if (tag === environmentName) {
      environmentValues = dir.json<{ values?: Record<string, unknown> }>(file).values ?? {};
      done(file, `environment ${tag} (context.environment)`);
    } else
      skip(
        file,
        `environment ${tag} is not the one imported (${environmentName || 'none'}; --environment chooses)`,
      );
  }
  config.environment = { tag: environmentName, values: environmentValues };

  // --- auth -------------------------------------------------------------------------------
  const providers = readProviders(dir, done, skip);
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

  // --- functions and triggers ---------------------------------------------------------------
  const functions: ImportResult['functions'] = [];
  let functionsConfig: unknown[] = [];
  if (dir.has('functions/config.json')) {
    functionsConfig = dir.json<unknown[]>('functions/config.json');
    done('functions/config.json', `${functionsConfig.length} function(s)`);
    for (const entry of functionsConfig as Array<{
      name: string;
      private?: boolean;
      run_as_system?: boolean;
      can_evaluate?: unknown;
      run_as_user_id?: string;
    }>) {
      const file = `functions/${entry.name}.js`;
      if (!dir.has(file))
        throw new ImportStopped(
          file,
          `function '${entry.name}' is listed in functions/config.json but its source is missing`,
        );
      if (entry.can_evaluate && Object.keys(entry.can_evaluate as object).length > 0)
        throw new ImportStopped(
          'functions/config.json',
          `function '${entry.name}': can_evaluate cannot be expressed here (it limits who may call it)`,
        );
      if (entry.run_as_user_id)
        throw new ImportStopped(
          'functions/config.json',
          `function '${entry.name}': run_as_user_id is not supported`,
        );
      functions.push({ name: entry.name, source: dir.text(file) });
      done(
        file,
        `function ${entry.name}${entry.private ? ' (private)' : ''}${entry.run_as_system ? ' (runs as system)' : " (runs under the caller's rules)"}`,
      );
    }
    if (functions.length > 0) config.functionsDir = './functions';
  }
  for (const file of dir.under('functions')) {
    if (accounted.has(file)) continue;
    skip(
      file,
      file.includes('package')
        ? 'function dependencies (npm packages) are not installed by the import'
        : 'not listed in functions/config.json',
    );
  }
  const triggers: AuthTrigger[] = [];
  for (const file of dir.under('triggers').filter((f) => f.endsWith('.json'))) {
    const trigger = dir.json<Record<string, unknown>>(file);
    if (trigger.type !== 'AUTHENTICATION') {
      skip(file, `${String(trigger.type)} triggers are not part of this backend`);
      continue;
    }
    if (trigger.disabled === true) {
      skip(file, 'disabled');
      continue;
    }
    const cfg = (trigger.config ?? {}) as { operation_type?: string | string[]; providers?: string[] };
    const processors = trigger.event_processors as
      | { FUNCTION?: { config?: { function_name?: string } } }
      | undefined;
    const functionName =
      (trigger.function_name as string | undefined) ?? processors?.FUNCTION?.config?.function_name;
    if (!functionName) throw new ImportStopped(file, 'an authentication trigger without a function');
    for (const op of [cfg.operation_type ?? []].flat())
      triggers.push({
        name: String(trigger.name),
        operationType: op as AuthTrigger['operationType'],
        functionName,
        providers: cfg.providers ?? [],
      });
    done(file, `authentication trigger ${String(trigger.name)} → ${functionName}`);
  }
  if (triggers.length > 0) config.authTriggers = triggers;

  // --- data sources and rules -------------------------------------------------------------
  const collectionRules: Record<string, ConfiguredRule | ConfiguredRule[]> = {};
  for (const file of dir.under('data_sources').filter((f) => f.endsWith('/config.json'))) {
    const source = dir.json<{ name?: string; type?: string }>(file);
    const folder = file.slice(0, -'/config.json'.length);
    if (source.type !== 'mongodb-atlas') {
      for (const f of dir.under(folder))
        skip(f, `${String(source.type)} data sources are not part of this backend`);
      continue;
    }
    const serviceName = source.name ?? folder.split('/')[1];
    const uri = secrets.MONGODB_URI ?? secrets[String(serviceName)];
    if (uri) config.mongodbUri = uri;
    done(
      file,
      `data source ${serviceName}${uri ? ' (its address from --secrets)' : ' (set MONGODB_URI to its address)'}`,
    );
    for (const rulesFile of dir
      .under(folder)
      .filter((f) => f.endsWith('/rules.json') || f.endsWith('/default_rule.json'))) {
      const parts = rulesFile.slice(folder.length + 1).split('/');
      const key = parts.length === 1 ? '*' : `${parts[0]}.${parts[1]}`;
      try {
        collectionRules[key] = translateRules(dir.json(rulesFile));
      } catch (error) {
        if (error instanceof UnsupportedRule)
          throw new ImportStopped(
            rulesFile,
            `${error.message}; the import stops rather than open or close data differently`,
          );
        throw error;
      }
      done(rulesFile, `rules of ${key === '*' ? 'every other collection' : key}`);
    }
    for (const f of dir.under(folder).filter((x) => !accounted.has(x)))
      skip(
        f,
        f.endsWith('schema.json')
          ? 'schema validation is not enforced here'
          : f.endsWith('relationships.json')
            ? 'relationships are for Device Sync and GraphQL'
            : 'not read',
      );
  }
  // A collection with no rule was closed to clients on App Services; the custom data collection
  // too (its owners read it from their tokens), unless a default rule opened it.
  const cd = config.customData as { database?: string; collection?: string } | undefined;
  const cdKey = `${cd?.database ?? 'custom-user-data-database'}.${cd?.collection ?? 'custom-user-data'}`;
  if (dir.under('data_sources').length > 0 && !collectionRules[cdKey] && !collectionRules['*'])
    collectionRules[cdKey] = { read: false, write: false, insert: false, delete: false };
  config.collectionRules = collectionRules;

  for (const file of dir.files) {
    if (accounted.has(file)) continue;
    const top = file.split('/')[0] as string;
    skip(
      file,
      NOT_RUN[top] ??
        (file.startsWith('auth/') ? 'not read' : 'not a part of an App Services app this import knows'),
    );
  }
  return { config, functions, functionsConfig, report };
}

const SUPPORTED_PROVIDERS = new Set([
  'anon-user',
  'local-userpass',
  'api-key',
  'custom-token',
  'custom-function',
]);

function readProviders(
  dir: ExportDir,
  done: (file: string, what: string) => void,
  skip: (file: string, reason: string) => void,
): Record<string, unknown> | undefined {
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

function slug(name: string): string {
  return (
    name
      .toLowerCase()
      .replace(/[^a-z0-9_-]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 64) || 'app'
  );
}
