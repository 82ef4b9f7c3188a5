/**
 * Web mode: the same renderer in a browser, talking to this Node host, which runs the same
 * engine through the same contract (POST /bridge/<command>, server-sent events for state).
 * Loopback only. A browser reaches loopback too, so every route checks that `Host` is the
 * loopback name and port this host serves (DNS rebinding sends the attacker's name) and that
 * `Origin`, when present, is its own; every bridge request also carries a per-launch secret
 * the page gets inside index.html (docs/security.md).
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import Fastify from 'fastify';
import { BRIDGE_TOKEN_HEADER, BRIDGE_TOKEN_META, BRIDGE_TOKEN_QUERY } from '../app-api/bridge-token.js';
import { type AppState, type CommandName, commandSchemas } from '../app-api/contract.js';
import type { AppStates } from './app-states.js';
import type { Handlers } from './handlers.js';

export interface WebHostOptions {
  /** The engine's snapshots, shared with `handlers` (one snapshot per change for every stream). */
  states: AppStates;
  handlers: Handlers;
  /** The built renderer (electron-vite's out/renderer). */
  staticDir: string;
  port?: number;
  host?: string;
}

export async function startWebHost(
  options: WebHostOptions,
): Promise<{ url: string; close(): Promise<void> }> {
  // Event streams never end by themselves: close them with the server.
  const app = Fastify({ logger: false, forceCloseConnections: true });
  const streams = new Set<import('node:http').ServerResponse>();
  app.addHook('preClose', async () => {
    for (const stream of streams) stream.end();
  });
  if (!existsSync(options.staticDir)) {
    throw new Error(`renderer not built: ${options.staticDir} is missing (run \`npm run build\`)`);
  }
  const secret = randomBytes(32).toString('base64url');
  let allowedHosts = new Set<string>();
  app.addHook('onRequest', async (request, reply) => {
    const host = request.headers.host ?? '';
    const origin = request.headers.origin;
    if (!allowedHosts.has(host) || (origin !== undefined && origin !== `http://${host}`)) {
      return reply
        .code(403)
        .send({ ok: false, error: 'request for another host or from another origin refused' });
    }
  });
  const bridgeAuthorised = (given: unknown): boolean => {
    const a = Buffer.from(typeof given === 'string' ? given : '');
    const b = Buffer.from(secret);
    return a.length === b.length && timingSafeEqual(a, b);
  };

  // index.html carries the secret; served fresh, never cached by the browser.
  const page = readFileSync(join(options.staticDir, 'index.html'), 'utf8').replace(
    '<head>',
    `<head>\n    <meta name="${BRIDGE_TOKEN_META}" content="${secret}" />`,
  );
  const sendPage = (_request: unknown, reply: import('fastify').FastifyReply) =>
    reply.type('text/html; charset=utf-8').header('cache-control', 'no-store').send(page);
  app.get('/', sendPage);
  app.get('/index.html', sendPage);
  await app.register(fastifyStatic, { root: options.staticDir, index: false });

  app.post('/bridge/:command', async (request, reply) => {
    const { command } = request.params as { command: string };
    if (!bridgeAuthorised(request.headers[BRIDGE_TOKEN_HEADER]))
      return reply.code(403).send({ ok: false, error: 'missing or wrong bridge token' });
    if (!Object.hasOwn(commandSchemas, command))
      return reply.code(404).send({ ok: false, error: `unknown command ${command}` });
    // A page from another site must not drive the engine (the host listens on loopback, but browsers reach loopback).
    if (request.headers.origin === undefined)
      return reply.code(403).send({ ok: false, error: 'cross-origin request refused' });
    return options.handlers[command as CommandName](request.body);
  });

  app.get('/bridge/events', (request, reply) => {
    // EventSource cannot set headers: the token comes in the query string.
    if (!bridgeAuthorised((request.query as Record<string, unknown>)[BRIDGE_TOKEN_QUERY]))
      return reply.code(403).send({ ok: false, error: 'missing or wrong bridge token' });
    reply.hijack();
    reply.raw.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
    });
    const send = (state: AppState) => reply.raw.write(`data: ${JSON.stringify(state)}\n\n`);
    send(options.states.current());
    const off = options.states.subscribe(send);
    streams.add(reply.raw);
    request.raw.on('close', () => {
      off();
      streams.delete(reply.raw);
    });
  });

  await app.listen({ port: options.port ?? 0, host: options.host ?? '127.0.0.1' });
  const address = app.server.address() as AddressInfo;
  const url = `http://127.0.0.1:${address.port}`;
  allowedHosts = new Set([`127.0.0.1:${address.port}`, `localhost:${address.port}`]);
  return { url, close: () => app.close() };
}
