/** Functions (sources and their config) and authentication triggers of an export. */
import type { AuthTrigger } from '../functions/index.js';
import { type ImportStep, ImportStopped } from './read-export.js';

export function importFunctions({ dir, config, accounted, done, skip }: ImportStep): {
  functions: Array<{ name: string; source: string }>;
  functionsConfig: unknown[];
} {
  const functions: Array<{ name: string; source: string }> = [];
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

  return { functions, functionsConfig };
}
