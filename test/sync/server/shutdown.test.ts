import { connect, type Socket } from 'node:net';
import { expect, it } from 'vitest';
import { startTestServer } from '../../helpers/server.js';

// A socket that connected but never sent a request (a browser's pre-connect, a client that
// gave up mid-connect) is not "idle" to Node: without a cut, close() waits for the 60 s
// headers timeout, and a SIGTERM'd backend or a test teardown hangs that long.
it('stops within its grace period while a connection that never sent a request is open', async () => {
  const server = await startTestServer();
  const { port } = new URL(server.url);
  const socket: Socket = connect(Number(port), '127.0.0.1');
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  const ended = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  await server.close();
  await ended;
  expect(socket.destroyed).toBe(true);
}, 20_000);
