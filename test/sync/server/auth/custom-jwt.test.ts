import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
import * as Realm from 'realm-web';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { raw, startTestServer, type TestServer } from '../../../helpers/server.js';

const OLD_SECRET = 'an-old-hs256-secret-of-at-least-32-bytes!';
const NEW_SECRET = 'the-new-hs256-secret-of-at-least-32-bytes';
const metadata = [
  { required: true, name: 'email', field_name: 'email' },
  { required: false, name: 'profile.nickname', field_name: 'nickname' },
];

/** An identity provider's JWK set on loopback, whose keys the test rotates. */
async function startJwks(): Promise<{ url: string; keys: JWK[]; hits: number; server: Server }> {
  const state = { url: '', keys: [] as JWK[], hits: 0, server: undefined as unknown as Server };
  state.server = createServer((_req, res) => {
    state.hits += 1;
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ keys: state.keys }));
  });
  await new Promise<void>((resolve) => state.server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(state.server.address() as AddressInfo).port}/.well-known/jwks.json`;
  return state;
}

async function rsaKey(kid: string) {
  const { privateKey, publicKey } = await generateKeyPair('RS256');
  return { privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' } };
}

let server: TestServer;
let jwks: Awaited<ReturnType<typeof startJwks>>;
const sign = (
  claims: Record<string, unknown>,
  key: Parameters<SignJWT['sign']>[0],
  header = { alg: 'HS256' },
) =>
  new SignJWT(claims)
    .setProtectedHeader(header)
    .setIssuedAt(Math.floor(server.clock.now() / 1000))
    .setExpirationTime(Math.floor(server.clock.now() / 1000) + 600)
    .sign(key);
const secret = (text: string) => new TextEncoder().encode(text);

beforeAll(async () => {
  jwks = await startJwks();
  server = await startTestServer({
    secrets: { oldKey: OLD_SECRET, newKey: NEW_SECRET },
    authProviders: {
      'custom-token': {
        name: 'custom-token',
        type: 'custom-token',
        config: { audience: 'my-app', signingAlgorithm: 'HS256', useJWKURI: false },
        secret_config: { signingKeys: ['newKey', 'oldKey'] },
        metadata_fields: metadata,
      },
      'rs-jwt': {
        name: 'rs-jwt',
        type: 'custom-token',
        config: { signingAlgorithm: 'RS256', useJWKURI: true, jwkURI: jwks.url },
        metadata_fields: [],
      },
    },
  });
});
afterAll(async () => {
  await server?.close();
  jwks?.server.close();
  jwks?.server.closeAllConnections();
});

const jwtLogin = (token: string, provider = 'custom-token') =>
  raw(server, 'POST', `/api/client/v2.0/app/${server.config.appId}/auth/providers/${provider}/login`, {
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token }),
  });

describe('custom JWT with the unmodified realm-web 2.0.1 client', () => {
  it('HS256: logs in by sub, copies metadata fields into the profile, the same sub is the same user', async () => {
    const token = await sign(
      { sub: 'auth0|alice', aud: 'my-app', email: 'alice@example.com', profile: { nickname: 'Al' } },
      secret(NEW_SECRET),
    );
    const user = await server.newApp().logIn(Realm.Credentials.jwt(token));
    expect(user.profile).toMatchObject({ email: 'alice@example.com', nickname: 'Al' });
    expect(user.identities).toEqual([{ id: 'auth0|alice', providerType: 'custom-token' }]);
    const again = await sign(
      { sub: 'auth0|alice', aud: 'my-app', email: 'alice@new.example.com' },
      secret(NEW_SECRET),
    );
    const same = await server.newApp().logIn(Realm.Credentials.jwt(again));
    expect(same.id).toBe(user.id);
    expect(same.profile.email).toBe('alice@new.example.com');
  });

  it('HS256: a token signed with the older of two listed keys still logs in (rotation)', async () => {
    const token = await sign({ sub: 'bob', aud: 'my-app', email: 'bob@example.com' }, secret(OLD_SECRET));
    expect((await server.newApp().logIn(Realm.Credentials.jwt(token))).identities[0]?.id).toBe('bob');
  });

  it('refuses an expired token, a wrong audience, a missing required field and a foreign key', async () => {
    const expired = await new SignJWT({ sub: 'carol', aud: 'my-app', email: 'c@example.com' })
      .setProtectedHeader({ alg: 'HS256' })
      .setExpirationTime(Math.floor(server.clock.now() / 1000) - 10)
      .sign(secret(NEW_SECRET));
    const cases = {
      expired,
      audience: await sign({ sub: 'carol', aud: 'other-app', email: 'c@example.com' }, secret(NEW_SECRET)),
      missingEmail: await sign({ sub: 'carol', aud: 'my-app' }, secret(NEW_SECRET)),
      foreignKey: await sign({ sub: 'carol', aud: 'my-app', email: 'c@example.com' }, secret('x'.repeat(40))),
    };
    const answers = Object.fromEntries(
      await Promise.all(Object.entries(cases).map(async ([name, token]) => [name, await jwtLogin(token)])),
    );
    // The client hears what App Services said; the operator's log says why, without the token.
    for (const answer of Object.values(answers))
      expect(answer).toMatchObject({
        status: 401,
        contentType: 'application/json',
        body: { error_code: 'AuthError', error: 'unauthorized' },
      });
    const log = server.logs.join('\n');
    for (const reason of ['token is expired', 'audience', "'email' is missing", 'signature is invalid'])
      expect(log).toContain(reason);
    for (const token of Object.values(cases)) expect(log).not.toContain(token);
  });

  it('RS256 with a JWK set: logs in, and follows a rotated key (new kid) without a restart', async () => {
    const first = await rsaKey('k1');
    jwks.keys = [first.jwk];
    const token1 = await sign({ sub: 'dave' }, first.privateKey, { alg: 'RS256', kid: 'k1' } as never);
    // realm-web's Credentials.jwt always names the provider 'custom-token': this one is called by name.
    const first1 = await jwtLogin(token1, 'rs-jwt');
    expect(first1.status).toBe(200);
    const user = { id: first1.body.user_id as string };

    const second = await rsaKey('k2');
    jwks.keys = [second.jwk];
    const hitsBefore = jwks.hits;
    const token2 = await sign({ sub: 'dave' }, second.privateKey, { alg: 'RS256', kid: 'k2' } as never);
    // Within 30 s of the last fetch an unknown key id fetches nothing (no hammering the provider).
    expect(await jwtLogin(token2, 'rs-jwt')).toMatchObject({
      status: 401,
      body: { error_code: 'AuthError' },
    });
    expect(jwks.hits).toBe(hitsBefore);
    server.clock.advance(30_000);
    const res = await jwtLogin(token2, 'rs-jwt');
    expect(res.body.user_id).toBe(user.id);
    expect(jwks.hits).toBe(hitsBefore + 1);
    // A key the set never had is refused.
    const stranger = await rsaKey('k3');
    const token3 = await sign({ sub: 'dave' }, stranger.privateKey, { alg: 'RS256', kid: 'k2' } as never);
    expect(await jwtLogin(token3, 'rs-jwt')).toMatchObject({
      status: 401,
      body: { error_code: 'AuthError' },
    });
    // An unreachable JWK set is a transient failure, not a refused login.
    jwks.server.close();
    jwks.server.closeAllConnections();
    server.clock.advance(600_001);
    expect(await jwtLogin(token2, 'rs-jwt')).toMatchObject({
      status: 503,
      body: { error_code: 'ServiceUnavailable' },
    });
  });
});
