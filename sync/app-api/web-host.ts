/**
 * Web mode: the same renderer in a browser, talking to this Node host, which runs the same
 * engine through the same contract (POST /bridge/<command>, server-sent events for state).
 * Loopback only; POSTs must come from the page's own origin.
 */
import { existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import fastifyStatic from '@fastify/static';
import Fastify from 'fastify';
import type { CustomDataClient } from '../client/index.js';
import { type CommandName, commandSchemas } from './contract.js';
import { type Handlers, snapshot } from './handlers.js';

export interface WebHostOptions {
  client: CustomDataClient;
  handlers: Handlers;
  adminTools: boolean;
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
  await app.register(fastifyStatic, { root: options.staticDir });
  let origin = '';

  app.post('/bridge/:command', async (request, reply) => {
    const { command } = request.params as { command: string };
    if (!Object.hasOwn(commandSchemas, command))
      return reply.code(404).send({ ok: false, error: `unknown command ${command}` });
    // A page from another site must not drive the engine (the host listens on loopback, but browsers reach loopback).
    if (request.headers.origin !== origin)
      return reply.code(403).send({ ok: false, error: 'cross-origin request refused' });
    return options.handlers[command as CommandName](request.body);
  });

  app.get('/bridge/events', (request, reply) => {
    reply.hijack();
    reply.raw.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
    });
    const send = () =>
      reply.raw.write(`data: ${JSON.stringify(snapshot(options.client, options.adminTools))}\n\n`);
    send();
    const off = options.client.subscribe(send);
    streams.add(reply.raw);
    request.raw.on('close', () => {
      off();
      streams.delete(reply.raw);
    });
  });

  await app.listen({ port: options.port ?? 0, host: options.host ?? '127.0.0.1' });
  const address = app.server.address() as AddressInfo;
  const url = `http://127.0.0.1:${address.port}`;
  origin = url;
  return { url, close: () => app.close() };
}
