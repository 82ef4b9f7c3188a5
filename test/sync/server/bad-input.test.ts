import { decodeJwt, SignJWT, UnsecuredJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newUser, raw, startTestServer, type TestServer } from '../../helpers/server.js';

let server: TestServer;
let token: string;
let userId: string;
const call = () => `/api/client/v2.0/app/${server.config.appId}/functions/call`;
const json = (extra: Record<string, string> = {}) => ({ 'content-type': 'application/json', ...extra });
const updateBody = (value: unknown) =>
  JSON.stringify({
    name: 'updateOne',
    service: 'mongodb-atlas',
    arguments: [
      {
        database: server.config.customData.database,
        collection: 'custom-user-data',
        query: {},
        update: { $set: { favoriteColor: value } },
        upsert: true,
      },
    ],
  });

beforeAll(async () => {
  server = await startTestServer({ bodyLimitBytes: 64 * 1024 });
  const { user } = await newUser(server.newApp());
  token = user.accessToken as string;
  userId = user.id;
  await server.customData.insertOne({ userId, favoriteColor: 'original' });
});
afterAll(() => server?.close());

/** Flips a character in the middle of the signature (the last one may only carry padding bits). */
function corruptSignature(jwt: string): string {
  const [h, p, sig] = jwt.split('.') as [string, string, string];
  const i = Math.floor(sig.length / 2);
  return `${h}.${p}.${sig.slice(0, i)}${sig[i] === 'A' ? 'B' : 'A'}${sig.slice(i + 1)}`;
}

/** Every bad request below must leave the user's data exactly as it was. */
async function expectUnchanged() {
  const docs = await server.customData.find({}).toArray();
  expect(docs).toHaveLength(1);
  expect(docs[0]?.favoriteColor).toBe('original');
}

describe('bad input gets an App Services error and changes nothing', () => {
  it('sanity: the same request with a good token and body works', async () => {
    const res = await raw(server, 'POST', call(), {
      headers: json({ authorization: `Bearer ${token}` }),
      body: updateBody('original'),
    });
    expect(res.status).toBe(200);
  });

  it('malformed JSON → 400 BadRequest', async () => {
    const res = await raw(server, 'POST', call(), {
      headers: json({ authorization: `Bearer ${token}` }),
      body: '{"name": "updateOne",',
    });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: 'request body is not valid JSON', error_code: 'BadRequest' });
    await expectUnchanged();
  });

  it('malformed EJSON → 400 BadRequest', async () => {
    const res = await raw(server, 'POST', call(), {
      headers: json({ authorization: `Bearer ${token}` }),
      body: updateBody({ $oid: 'not-hex' }),
    });
    expect(res.status).toBe(400);
    expect(res.body.error_code).toBe('BadRequest');
    expect(res.body.error).toMatch(/invalid EJSON/);
    await expectUnchanged();
  });

  it('a body over the limit → 413 with an error body', async () => {
    const res = await raw(server, 'POST', call(), {
      headers: json({ authorization: `Bearer ${token}` }),
      body: updateBody('x'.repeat(100_000)),
    });
    expect(res.status).toBe(413);
    expect(res.body.error_code).toBe('ReadSizeLimitExceeded');
    await expectUnchanged();
  });

  it('unknown routes, apps and functions → 404', async () => {
    expect((await raw(server, 'GET', '/api/client/v2.0/nope')).body.error_code).toBe('NotFound');
    expect((await raw(server, 'GET', '/api/client/v2.0/app/other-app/location')).status).toBe(404);
    const fn = await raw(server, 'POST', call(), {
      headers: json({ authorization: `Bearer ${token}` }),
      body: JSON.stringify({ name: 'noSuchFunction', arguments: [] }),
    });
    expect(fn.status).toBe(404);
    expect(fn.body.error_code).toBe('FunctionNotFound');
    const privateFn = await raw(server, 'POST', call(), {
      headers: json({ authorization: `Bearer ${token}` }),
      body: JSON.stringify({ name: 'stampLastLogin', arguments: [] }),
    });
    expect(privateFn.status).toBe(404);
  });

  it('a request without a function name → 400 InvalidParameter', async () => {
    const res = await raw(server, 'POST', call(), {
      headers: json({ authorization: `Bearer ${token}` }),
      body: JSON.stringify({ arguments: [] }),
    });
    expect(res.status).toBe(400);
    expect(res.body.error_code).toBe('InvalidParameter');
  });

  it('forged tokens (alg none, wrong key, wrong audience) → 401 and nothing written', async () => {
    const claims = decodeJwt(token);
    const unsigned = new UnsecuredJWT({ ...claims }).encode();
    const wrongKey = await new SignJWT({ ...claims })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .sign(new TextEncoder().encode('k'.repeat(32)));
    const header = token.split('.')[0];
    const payload = Buffer.from(JSON.stringify({ ...claims, aud: 'another-app' })).toString('base64url');
    const wrongAudience = `${header}.${payload}.${token.split('.')[2]}`;
    for (const forged of [unsigned, wrongKey, wrongAudience, 'garbage', corruptSignature(token)]) {
      const res = await raw(server, 'POST', call(), {
        headers: json({ authorization: `Bearer ${forged}` }),
        body: updateBody('forged'),
      });
      expect(res.status).toBe(401);
      expect(res.body.error_code).toBe('InvalidSession');
    }
    await expectUnchanged();
  });

  it('a missing Authorization header → 401', async () => {
    const res = await raw(server, 'POST', call(), { headers: json(), body: updateBody('x') });
    expect(res.status).toBe(401);
    await expectUnchanged();
  });

  it('bad registration input → 400 with the field named', async () => {
    const res = await raw(
      server,
      'POST',
      `/api/client/v2.0/app/${server.config.appId}/auth/providers/local-userpass/register`,
      {
        headers: json(),
        body: JSON.stringify({ email: 'not-an-email', password: 'secret123' }),
      },
    );
    expect(res.status).toBe(400);
    expect(res.body.error).toMatch(/email/);
    const short = await raw(
      server,
      'POST',
      `/api/client/v2.0/app/${server.config.appId}/auth/providers/local-userpass/register`,
      {
        headers: json(),
        body: JSON.stringify({ email: 'a@b.co', password: '123' }),
      },
    );
    expect(short.status).toBe(400);
    expect(short.body.error).toMatch(/password/);
  });

  it('an unknown auth provider → 401 InvalidSession "unauthorized", as App Services answered', async () => {
    const res = await raw(
      server,
      'POST',
      `/api/client/v2.0/app/${server.config.appId}/auth/providers/oauth2-google/login`,
      {
        headers: json(),
        body: JSON.stringify({ options: {} }),
      },
    );
    expect(res).toMatchObject({ status: 401, body: { error_code: 'InvalidSession', error: 'unauthorized' } });
  });

  it('answers CORS preflights for browser clients', async () => {
    const res = await fetch(`${server.url}${call()}`, {
      method: 'OPTIONS',
      headers: {
        origin: 'http://localhost:5173',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization,content-type',
      },
    });
    expect(res.status).toBeLessThan(300);
    expect(res.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
    expect(res.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('authorization');
  });
});
