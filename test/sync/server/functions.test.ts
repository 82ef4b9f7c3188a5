import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newUser, startTestServer, type TestServer } from '../../helpers/server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ functionsDir: resolve('test/fixtures/functions') });
});
afterAll(() => server?.close());

describe('app functions', () => {
  it('get context.user (with custom_data and identities), other functions and system MongoDB access', async () => {
    const { user } = await newUser(server.newApp());
    await server.customData.insertOne({ userId: user.id, favoriteColor: 'teal' });
    const result = await user.functions.callFunction('whoami', 'hello-db');
    expect(result).toEqual({
      id: user.id,
      favoriteColor: 'teal',
      providers: ['local-userpass'],
      doubled: 42,
      count: 0,
      greeting: 'hello-db',
    });
  });

  it('hides private functions from clients', async () => {
    const { user } = await newUser(server.newApp());
    await expect(user.callFunction('double', 2)).rejects.toMatchObject({
      statusCode: 404,
      errorCode: 'FunctionNotFound',
    });
  });
});

describe('the demo functions directory', () => {
  it("answers realm-web's integration example translate('hello', 'en_fr') with 'bonjour'", async () => {
    const demo = await startTestServer({ functionsDir: resolve('sync/server/demo/functions') });
    try {
      const { user } = await newUser(demo.newApp());
      expect(await user.callFunction('translate', 'hello', 'en_fr')).toBe('bonjour');
      await expect(user.callFunction('translate', 'hello', 'xx')).rejects.toMatchObject({
        statusCode: 400,
        errorCode: 'FunctionExecutionError',
      });
    } finally {
      await demo.close();
    }
  });
});
