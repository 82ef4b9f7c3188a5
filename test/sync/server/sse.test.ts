import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { SseSink } from '../../../sync/server/sse.js';

/** A client socket that accepts bytes only when told to (unit test: the transport is faked). */
function stalledClient() {
  const held: (() => void)[] = [];
  const chunks: string[] = [];
  let reading = false;
  const out = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk.toString());
      if (reading) done();
      else held.push(done);
    },
  });
  /** From now on the client reads everything at once. */
  const read = () => {
    reading = true;
    for (const done of held.splice(0)) done();
  };
  return { out, chunks, read };
}

describe('SseSink back-pressure', () => {
  it('refuses blocks once the unread bytes exceed the limit; one large block still goes', async () => {
    const client = stalledClient();
    const sink = new SseSink(client.out, 1000, 0);
    expect(sink.send(`data: ${'x'.repeat(5000)}\n\n`, 1)).toBe(true);
    expect(sink.send('data: {}\n\n', 2)).toBe(false);
    expect(sink.lastWriteAt).toBe(1);
    client.read();
    await new Promise((resolve) => setImmediate(resolve));
    expect(sink.bufferedBytes).toBe(0);
    expect(sink.send('data: {}\n\n', 3)).toBe(true);
  });

  it('ends with an error block past the limit, then writes nothing more and reports the close', async () => {
    const client = stalledClient();
    const sink = new SseSink(client.out, 10, 0);
    let closed = 0;
    sink.onClose(() => {
      closed += 1;
    });
    sink.send('data: {"a":1}\n\n', 1);
    sink.fail('too slow', 'SubscriberTooSlow');
    expect(sink.isOpen).toBe(false);
    expect(sink.send('data: {}\n\n', 2)).toBe(false);
    const closedNow = new Promise((resolve) => client.out.once('close', resolve));
    client.read();
    await closedNow;
    expect(client.chunks.join('')).toBe(
      'data: {"a":1}\n\nevent: error\ndata: {"error":"too slow","error_code":"SubscriberTooSlow"}\n\n',
    );
    expect(closed).toBe(1);
  });
});
