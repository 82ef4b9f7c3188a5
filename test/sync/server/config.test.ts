import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadServerConfig } from '../../../sync/server/config.js';

describe('server configuration', () => {
  it('has the documented defaults', () => {
    const config = loadServerConfig({});
    expect(config).toMatchObject({
      port: 8787,
      host: '127.0.0.1',
      appId: 'customdata-desk',
      accessTokenTtlSeconds: 1800,
      refreshTokenTtlSeconds: 5_184_000,
      customData: {
        database: 'custom-user-data-database',
        collection: 'custom-user-data',
        userIdField: 'userId',
        serviceName: 'mongodb-atlas',
        rules: 'owner',
        enabled: true,
      },
    });
    expect(config.adminKey).toBeUndefined();
    expect(config.mongodbUri).toBeUndefined();
  });

  it('reads a JSON file, with the environment taking precedence and paths relative to the file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
    const file = join(dir, 'config.json');
    writeFileSync(
      file,
      JSON.stringify({
        port: 9000,
        accessTokenTtlSeconds: 10,
        functionsDir: 'functions',
        customData: { userIdField: 'owner' },
      }),
    );
    const config = loadServerConfig({ PORT: '9100', CUSTOM_DATA_COLLECTION: 'prefs' }, file);
    expect(config.port).toBe(9100);
    expect(config.accessTokenTtlSeconds).toBe(10);
    expect(config.functionsDir).toBe(join(dir, 'functions'));
    expect(config.customData).toMatchObject({ userIdField: 'owner', collection: 'prefs' });
  });

  it('names every invalid setting in one clear error', () => {
    expect(() =>
      loadServerConfig({ PORT: 'eighty', ADMIN_KEY: 'short', CUSTOM_DATA_RULES: 'loose' }),
    ).toThrow(ConfigError);
    try {
      loadServerConfig({ PORT: 'eighty', ADMIN_KEY: 'short' });
    } catch (error) {
      expect((error as Error).message).toMatch(/port/);
      expect((error as Error).message).toMatch(/ADMIN_KEY must be at least 32/);
    }
  });

  it('reports an unreadable config file', () => {
    expect(() => loadServerConfig({}, '/nonexistent/config.json')).toThrow(/cannot read config file/);
  });
});
