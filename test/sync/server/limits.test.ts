import { performance } from 'node:perf_hooks';
import type * as Realm from 'realm-web';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseServerConfig } from '../../../sync/server/config.js';
import { assertSafeRegex, DEFAULT_LIMITS } from '../../../sync/server/limits.js';
import { newUser, raw, startTestServer, type TestServer, uniqueDb } from '../../helpers/server.js';

let server: TestServer;
let attacker: Realm.User;
let bystander: Realm.User;
const own = (u: Realm.User, s: TestServer) =>
  u
    .mongoClient(s.config.customData.serviceName)
    .db(s.config.customData.database)
    // biome-ignore lint/suspicious/noExplicitAny: the test's documents are free-form.
    .collection<any>(s.config.customData.collection);

beforeAll(async () => {
  // The attacker's 50 KB field is over the custom data size limit (16 KB by default): raised here.
  // And functions/call takes bodies as large as any route, so the 2 MB $in below reaches the
  // maxInArray check (by default its 256 KB body limit refuses it first: 413).
  // One attacker sends every kind the limits refuse: no refusal budget here (refusals.test.ts).
  server = await startTestServer(
    {
      customData: { maxDocumentBytes: 100_000 },
      functionsBodyLimitBytes: 4 * 1024 * 1024,
      quotas: { refusedRequestsPerUserPerMinute: 0 },
    },
    { realTime: true },
  );
  attacker = (await newUser(server.newApp())).user;
  bystander = (await newUser(server.newApp())).user;
  // The attacker's own 50 KB field: what a catastrophic regex would backtrack over.
  await own(attacker, server).insertOne({ long: `${'a'.repeat(50_000)}!` });
});
afterAll(async () => {
  await server?.close();
});

function nested(depth: number, leaf: unknown): Record<string, unknown> {
  let node: unknown = leaf;
  for (let i = 0; i < depth; i++) node = { a: node };
  return node as Record<string, unknown>;
}

/** `count` over raw HTTP; rejects like realm-web (statusCode, errorCode, error). */
function rawCount(query: unknown): () => Promise<unknown> {
  const cd = server.config.customData;
  const body = JSON.stringify({
    name: 'count',
    service: cd.serviceName,
    arguments: [{ database: cd.database, collection: cd.collection, query }],
  });
  return async () => {
    const res = await raw(server, 'POST', `/api/client/v2.0/app/${server.config.appId}/functions/call`, {
      headers: { 'content-type': 'application/json', authorization: `Bearer ${attacker.accessToken}` },
      body,
    });
    if (res.status >= 400)
      throw { statusCode: res.status, errorCode: res.body.error_code, error: res.body.error };
    return res.body;
  };
}

/** Runs `attack` while the bystander refreshes every 100 ms; returns the attack's error and timings. */
async function underLoad(attack: () => Promise<unknown>) {
  let stop = false;
  let worst = 0;
  let refreshes = 0;
  const loop = (async () => {
    // Bounded: the attack ends within seconds, and at most 100 rounds run.
    for (let i = 0; i < 100 && !stop; i++) {
      const t0 = performance.now();
      await bystander.refreshCustomData();
      worst = Math.max(worst, performance.now() - t0);
      refreshes += 1;
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  await new Promise((r) => setTimeout(r, 250));
  const t0 = performance.now();
  const error = await attack().then(
    () => undefined,
    (e: unknown) => e as { statusCode?: number; errorCode?: string; error?: string },
  );
  const attackMs = performance.now() - t0;
  await new Promise((r) => setTimeout(r, 250));
  stop = true;
  await loop;
  const p0 = performance.now();
  const ping = await server.db.db('admin').command({ ping: 1 }, { timeoutMS: 2000 });
  return { error, attackMs, worst, refreshes, ping, pingMs: performance.now() - p0 };
}

describe('request limits: refused before MongoDB, nobody else waits', () => {
  let hugeIn: () => Promise<unknown>;
  beforeAll(() => {
    hugeIn = rawCount({ long: { $in: Array.from({ length: 200_000 }, (_, i) => `v${i}`) } });
  });
  const kinds: [string, () => Promise<unknown>, string][] = [
    [
      'catastrophic $regex over the own 50 KB field',
      () => own(attacker, server).count({ long: { $regex: '^(a+)+$' } }),
      'safeRegex',
    ],
    [
      'catastrophic regex as a BSONRegExp value',
      () => own(attacker, server).find({ long: /^(a|a)*$/ }),
      'safeRegex',
    ],
    [
      'catastrophic regex in a nested aggregate $match',
      () =>
        own(attacker, server).aggregate([{ $facet: { x: [{ $match: { long: { $regex: '(a*)*b' } } }] } }]),
      'safeRegex',
    ],
    [
      'a back-reference',
      () => own(attacker, server).deleteMany({ long: { $regex: '^(a)\\1$' } }),
      'safeRegex',
    ],
    ['a filter nested 150 levels', () => own(attacker, server).find(nested(150, 1)), 'maxDepth'],
    [
      'a document nested 150 levels',
      () => own(attacker, server).insertOne({ deep: nested(150, 1) }),
      'maxDepth',
    ],
    [
      'a $set nested 150 levels',
      () => own(attacker, server).updateOne({}, { $set: { deep: nested(150, 1) } }),
      'maxDepth',
    ],
    [
      '$in with 200,000 values',
      // Raw HTTP with the 2 MB body built beforehand: the 1 s is the server's answer, not realm-web's EJSON encoding.
      () => hugeIn(),
      'maxInArray',
    ],
    [
      'a pipeline of 500 stages',
      () => own(attacker, server).aggregate(Array.from({ length: 500 }, () => ({ $match: {} }))),
      'maxPipelineStages',
    ],
  ];
  for (const [name, attack, limit] of kinds) {
    it(`${name}: a 400 naming ${limit} within 1 s`, async () => {
      const r = await underLoad(attack);
      expect(r.error?.statusCode).toBe(400);
      expect(r.error?.errorCode).toBe('RequestLimitExceeded');
      expect(String(r.error?.error)).toContain(limit);
      expect(r.attackMs).toBeLessThan(1000);
      expect(r.ping.ok).toBe(1);
      expect(r.pingMs).toBeLessThan(1000);
      expect(r.refreshes).toBeGreaterThan(0);
      expect(r.worst).toBeLessThan(1000);
    });
  }

  it('ordinary filters, a safe $regex and a moderate $in still work', async () => {
    expect(await own(attacker, server).count({ long: { $regex: '^a+!$' } })).toBe(1);
    expect(await own(attacker, server).count({ long: { $in: ['x', 'y'] } })).toBe(0);
  });

  it('an oversized request body is a 413 naming the size limit', async () => {
    const res = await raw(server, 'POST', `/api/client/v2.0/app/${server.config.appId}/functions/call`, {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'x', arguments: ['x'.repeat(server.config.bodyLimitBytes)] }),
    });
    expect(res.status).toBe(413);
    expect(res.body.error_code).toBe('ReadSizeLimitExceeded');
  });

  it('functions/call has a much smaller body limit than the global one (256 KB by default)', async () => {
    const defaults = await startTestServer();
    try {
      expect(defaults.config.functionsBodyLimitBytes).toBe(256 * 1024);
      expect(defaults.config.bodyLimitBytes).toBe(4 * 1024 * 1024);
      const { user } = await newUser(defaults.newApp());
      await expectFunctionsBodyLimit(defaults, user.accessToken as string);
    } finally {
      await defaults.close();
    }
  });
});

async function expectFunctionsBodyLimit(server: TestServer, token: string) {
  const call = (size: number) =>
    raw(server, 'POST', `/api/client/v2.0/app/${server.config.appId}/functions/call`, {
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({
        name: 'count',
        service: 'mongodb-atlas',
        arguments: [
          {
            database: server.config.customData.database,
            collection: 'custom-user-data',
            query: { long: { $nin: ['x'.repeat(size)] } },
          },
        ],
      }),
    });
  const over = await call(300 * 1024);
  expect(over.status).toBe(413);
  expect(over.body).toMatchObject({ error_code: 'ReadSizeLimitExceeded' });
  expect(over.body.error).toContain('functionsBodyLimitBytes (262144 bytes)');
  expect((await call(100 * 1024)).status).toBe(200);
}

describe('request limit configuration', () => {
  it('has safe defaults and reads environment-style strings', () => {
    const config = parseServerConfig({});
    expect(config.limits).toEqual(DEFAULT_LIMITS);
    expect(config.limits.maxDepth).toBeLessThan(100);
    expect(parseServerConfig({ limits: { allowRegex: 'false', maxInArray: '10' } }).limits).toMatchObject({
      allowRegex: false,
      maxInArray: 10,
    });
  });

  it('the exported regex check refuses what can backtrack and passes what cannot', () => {
    expect(() => assertSafeRegex('^(a+)+$')).toThrow(/safeRegex/);
    expect(() => assertSafeRegex('x'.repeat(300))).toThrow(/maxRegexLength/);
    expect(() => assertSafeRegex('^abc.*$')).not.toThrow();
    expect(() => assertSafeRegex('^abc$', { ...DEFAULT_LIMITS, allowRegex: false })).toThrow(/allowRegex/);
  });
});

describe('with $regex disallowed for clients', () => {
  let strict: TestServer;
  beforeAll(async () => {
    strict = await startTestServer({ limits: { allowRegex: false } }, { realTime: true });
  });
  afterAll(async () => {
    await strict?.close();
  });

  it('refuses any $regex with a 400 naming allowRegex', async () => {
    const user = (await newUser(strict.newApp())).user;
    const error = await own(user, strict)
      .count({ name: { $regex: '^a' } })
      .catch((e: { statusCode?: number; error?: string }) => e);
    expect(error).toMatchObject({ statusCode: 400 });
    expect(String((error as { error?: string }).error)).toContain('allowRegex');
  });
});

describe('maxTimeMS on data API operations', () => {
  let slow: TestServer;
  const openDb = uniqueDb('limits-open');
  beforeAll(async () => {
    slow = await startTestServer({ limits: { maxTimeMS: 1 }, openCollections: [`${openDb}.many`] });
    const docs = Array.from({ length: 20_000 }, (_, i) => ({ i, s: `value-${i}` }));
    await slow.db.db(openDb).collection('many').insertMany(docs);
  });
  afterAll(async () => {
    await slow?.close();
  });

  it('a scan cut off by maxTimeMS is a transient 503 of its own, logged without the filter', async () => {
    const user = (await newUser(slow.newApp())).user;
    const error = await user
      .mongoClient('mongodb-atlas')
      .db(openDb)
      .collection('many')
      .find({ s: { $regex: 'secret-needle' } })
      .catch((e: { statusCode?: number; errorCode?: string }) => e);
    expect(error).toMatchObject({ statusCode: 503, errorCode: 'ExecutionTimeLimitExceeded' });
    const logged = slow.logs.join('\n');
    expect(logged).toContain('exceeded maxTimeMS');
    expect(logged).not.toContain('secret-needle');
  });
});
