/**
 * The server benchmark's attacker: one user sending, back to back from a worker thread of its own
 * (as another machine would), the requests the request limits refuse — catastrophic regex,
 * 150-level filter and document, 200,000-value `$in` in a 2 MB body, 500-stage pipeline
 * (docs/security.md). Reports, per kind, the mean time and the statuses it got.
 */
import { Worker } from 'node:worker_threads';

/** The attacker's loop (plain JS, run in a worker thread): back-to-back requests until told to stop. */
const ATTACKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
let stop = false;
(async () => {
  // Warmed up first (fetch loads and compiles its client on first use): that is the attacker
  // machine's own start, not load on the server. A call without a token: 401, counted for nobody.
  // Then it waits for the word to go.
  await (await fetch(workerData.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).text();
  const go = new Promise((resolve) => parentPort.once('message', resolve));
  parentPort.postMessage('ready');
  await go;
  parentPort.once('message', () => { stop = true; });
  const perKind = workerData.bodies.map(() => ({ n: 0, ms: 0, statuses: {} }));
  for (let i = 0; !stop && i < 100000; i++) {
    const k = i % workerData.bodies.length;
    const t0 = performance.now();
    let status = -1;
    try {
      const res = await fetch(workerData.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer ' + workerData.token },
        body: workerData.bodies[k],
      });
      await res.text();
      status = res.status;
    } catch (error) {}
    perKind[k].statuses[status] = (perKind[k].statuses[status] ?? 0) + 1;
    perKind[k].n++;
    perKind[k].ms += performance.now() - t0;
  }
  parentPort.postMessage({ perKind });
})();
`;

export interface AttackKind {
  n: number;
  ms: number;
  /** status → count (-1: the connection closed before an answer was read). */
  statuses: Record<string, number>;
}

export interface Attack {
  names: string[];
  stop(): Promise<AttackKind[]>;
}

/** The refused calls' bodies for functions/call on the custom data collection. */
function attackBodies(target: { database: string; collection: string }, service: string) {
  const deep = (n: number) => {
    let node: unknown = 1;
    for (let i = 0; i < n; i++) node = { a: node };
    return node;
  };
  const attacks: [string, unknown][] = [
    ['count', { ...target, query: { long: { $regex: '^(a+)+$' } } }],
    ['find', { ...target, query: deep(150) }],
    ['insertOne', { ...target, document: { deep: deep(150) } }],
    ['count', { ...target, query: { long: { $in: Array.from({ length: 200_000 }, (_, i) => `v${i}`) } } }],
    ['aggregate', { ...target, pipeline: Array.from({ length: 500 }, () => ({ $match: {} })) }],
  ];
  return {
    names: attacks.map(([name]) => name),
    bodies: attacks.map(([name, arg]) => JSON.stringify({ name, service, arguments: [arg] })),
  };
}

/**
 * Runs each refused call once as another user, so that the server's code for them is compiled
 * before anything is measured (a server that has been up a while has run them); their statuses.
 */
export async function warmUp(
  url: string,
  accessToken: string,
  target: { database: string; collection: string },
  service: string,
): Promise<number[]> {
  const statuses: number[] = [];
  for (const body of attackBodies(target, service).bodies) {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${accessToken}` },
      body,
    });
    await res.text();
    statuses.push(res.status);
  }
  return statuses;
}

/** Starts the attacker's thread (warmed up first); resolves once it attacks. */
export async function startAttack(
  url: string,
  accessToken: string,
  target: { database: string; collection: string },
  service: string,
): Promise<Attack> {
  const { names, bodies } = attackBodies(target, service);
  const thread = new Worker(ATTACKER_SOURCE, {
    eval: true,
    workerData: { url, token: accessToken, bodies },
  });
  const messages: unknown[] = [];
  let next: ((message: unknown) => void) | undefined;
  thread.on('message', (message) => (next ? next(message) : messages.push(message)));
  const receive = () =>
    new Promise<unknown>((resolve, reject) => {
      const queued = messages.shift();
      if (queued !== undefined) return resolve(queued);
      next = (message) => {
        next = undefined;
        resolve(message);
      };
      thread.once('error', reject);
    });
  if ((await receive()) !== 'ready') throw new Error('the attacker did not start');
  thread.postMessage('go');
  return {
    names,
    async stop() {
      thread.postMessage('stop');
      const { perKind } = (await receive()) as { perKind: AttackKind[] };
      await thread.terminate();
      return perKind;
    },
  };
}

/** "count 5.4 ms (400×12, 429×80); …" */
export function describeAttack(names: string[], perKind: AttackKind[]): string {
  return names
    .map((name, k) => {
      const kind = perKind[k];
      if (!kind) return `${name} -`;
      const statuses = Object.entries(kind.statuses)
        .map(([status, n]) => `${status === '-1' ? 'closed' : status}×${n}`)
        .join(', ');
      return `${name} ${(kind.ms / Math.max(1, kind.n)).toFixed(1)} ms (${statuses})`;
    })
    .join('; ');
}
