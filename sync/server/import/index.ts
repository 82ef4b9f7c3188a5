/**
 * `npm run import`: an exported App Services app becomes this backend's config.json plus its
 * functions, with a report of what was imported and every part that was not, by file, with the
 * reason. Parts that would change who may read or write data stop the import instead.
 * One entry point: `importApp`; users come in through `importUsers` (import-users.ts).
 */
import type { ConfiguredRule } from '../rules.js';
import { importAuth } from './auth.js';
import { importFunctions } from './functions.js';
import { ExportDir, type ImportedConfig, type ImportStep, ImportStopped } from './read-export.js';
import { translateRules, UnsupportedRule } from './translate-rules.js';

export { importUsers, type UsersReport } from './import-users.js';
export { ImportStopped } from './read-export.js';

export interface ImportReport {
  imported: string[];
  notImported: Array<{ file: string; reason: string }>;
}

export interface ImportResult {
  config: ImportedConfig;
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
  const step: ImportStep = { dir, config, secrets, accounted, done, skip };

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

  importAuth(step);
  const { functions, functionsConfig } = importFunctions(step);

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

function slug(name: string): string {
  return (
    name
      .toLowerCase()
      .replace(/[^a-z0-9_-]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 64) || 'app'
  );
}
