/**
 * npm run import -- <export-dir> --out <dir> [--secrets <file.json>] [--users <users.json>]
 *                   [--environment <name>] [--app-id <id>]
 * Turns an exported App Services app into <dir>/config.json (+ <dir>/functions/), which
 * `npm run server -- --config <dir>/config.json` starts with, and prints what it imported and
 * every part it did not, by file, with the reason. --users writes the users into MongoDB
 * (MONGODB_URI, or the address a secret of the data source gives), keeping their ids.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { MongoClient } from 'mongodb';
import {
  type ImportReport,
  ImportStopped,
  importApp,
  importUsers,
  type UsersReport,
} from '../sync/server/import/index.js';

function readJson(path: string, what: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new ImportStopped(path, `cannot read the ${what} file: ${(error as Error).message}`);
  }
}

export async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      out: { type: 'string' },
      secrets: { type: 'string' },
      users: { type: 'string' },
      environment: { type: 'string' },
      'app-id': { type: 'string' },
    },
  });
  const exportDir = positionals[0];
  if (!exportDir || !values.out) {
    console.error(
      'usage: npm run import -- <export-dir> --out <dir> [--secrets <file.json>] [--users <users.json>] [--environment <name>] [--app-id <id>]',
    );
    return 2;
  }
  try {
    const secrets = values.secrets ? (readJson(values.secrets, 'secrets') as Record<string, string>) : {};
    const result = importApp(resolve(exportDir), {
      secrets,
      environment: values.environment,
      appId: values['app-id'],
    });
    const out = resolve(values.out);
    mkdirSync(out, { recursive: true });
    if (result.functions.length > 0) {
      mkdirSync(join(out, 'functions'), { recursive: true });
      writeFileSync(
        join(out, 'functions', 'config.json'),
        `${JSON.stringify(result.functionsConfig, null, 2)}\n`,
      );
      for (const fn of result.functions) {
        const file = join(out, 'functions', `${fn.name}.js`);
        mkdirSync(join(file, '..'), { recursive: true });
        writeFileSync(file, fn.source);
      }
    }
    writeFileSync(join(out, 'config.json'), `${JSON.stringify(result.config, null, 2)}\n`);
    let users: UsersReport | undefined;
    if (values.users) {
      const uri = process.env.MONGODB_URI ?? (result.config.mongodbUri as string | undefined);
      if (!uri)
        throw new ImportStopped(
          '--users',
          'set MONGODB_URI (or give the data source address in --secrets) to write the users',
        );
      const client = new MongoClient(uri);
      try {
        await client.connect();
        const providerNames = Object.fromEntries(
          Object.entries(result.config.authProviders ?? {}).map(([name, p]) => [
            String((p as { type?: string }).type),
            name,
          ]),
        );
        const appDatabase = (result.config.appDatabase as string | undefined) ?? 'customdata-desk-app';
        users = await importUsers(readJson(values.users, 'users'), client.db(appDatabase), providerNames);
      } finally {
        await client.close();
      }
    }
    console.log(formatReport(result.report, users, join(out, 'config.json')));
    return 0;
  } catch (error) {
    if (error instanceof ImportStopped) {
      console.error(`import stopped: ${error.file}: ${error.reason}`);
      return 2;
    }
    throw error;
  }
}

export function formatReport(
  report: ImportReport,
  users: UsersReport | undefined,
  configPath: string,
): string {
  const lines = [`imported (${report.imported.length}):`, ...report.imported.map((line) => `  ${line}`)];
  lines.push(
    `not imported (${report.notImported.length}):`,
    ...report.notImported.map((n) => `  ${n.file}: ${n.reason}`),
  );
  if (users) {
    lines.push(
      `users: ${users.imported} imported, ${users.alreadyThere} already there, ${users.passwordResetRequired} must reset their password before their first login`,
      ...users.skipped.map((s) => `  not imported: ${s.count} ${s.reason}`),
    );
  }
  lines.push(`start with: npm run server -- --config ${configPath}`);
  return lines.join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
