/**
 * An in-process stand-in for the backend's `applyCustomDataEdits`, answering the engine's real
 * `Transport` through an injected fetch: no server, no MongoDB. It keeps one custom data document
 * (top-level fields only) and the device's applied sequence number (a batch with seq ≤ it is a duplicate, not applied
 * again), and the test queues what happens to the next requests: dropped before sending, answer
 * lost after applying, a timeout, an HTTP error, or a request that never returns.
 */
import { EJSON } from 'bson';
import type { FetchLike } from '../../sync/client/ports.js';
import { Transport } from '../../sync/client/transport.js';
import type { EditBatchResult, EditOp } from '../../sync/protocol/index.js';

export type Fault =
  /** Connection refused: the request never left the device. */
  | 'not-sent'
  /** The server applied the batch, then the connection dropped before the answer. */
  | 'lost-answer'
  /** The server applied the batch, the answer came too late (the request's timeout fired). */
  | 'timeout'
  /** The server applied the batch and the device never heard back (the process died waiting). */
  | 'hang'
  /** An error reply (not applied). 502–504 count as "unreachable" in the transport. */
  | { status: number; error?: string; code?: string };

export interface ReceivedBatch {
  seq: number;
  ops: EditOp[];
  deviceId: string;
}

export class FakeBackend {
  doc: Record<string, unknown> = {};
  appliedSeq = 0;
  /** Every batch that reached the server, in order (duplicates and refused ones included); a refused connection is none. */
  received: ReceivedBatch[] = [];
  /** Probes (`location`) that reached the server. */
  probes = 0;
  private faults: Fault[] = [];
  private waiting: { count: number; resolve: () => void }[] = [];

  /** Resolves once `count` batches in all have reached the server. */
  received$(count: number): Promise<void> {
    if (this.received.length >= count) return Promise.resolve();
    return new Promise((resolve) => this.waiting.push({ count, resolve }));
  }

  /** What happens to the next requests (probes and batches), in order; later ones are answered normally. */
  next(...faults: Fault[]): void {
    this.faults.push(...faults);
  }

  /** Seqs of the batches received, in order. */
  get seqs(): number[] {
    return this.received.map((b) => b.seq);
  }

  fetch: FetchLike = async (_url, init) => {
    const fault = this.faults.shift();
    if (fault === 'not-sent')
      throw new TypeError('fetch failed', {
        cause: Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }),
      });
    // GET is the connection loop's probe (`location`); POST a batch for `applyCustomDataEdits`.
    const isProbe = init?.method === 'GET';
    let batch: ReceivedBatch | undefined;
    if (isProbe) this.probes += 1;
    else {
      batch = (EJSON.parse(String(init?.body), { relaxed: true }) as { arguments: [ReceivedBatch] })
        .arguments[0];
      this.arrived(batch);
    }
    if (typeof fault === 'object')
      return json(fault.status, {
        error: fault.error ?? `HTTP ${fault.status}`,
        error_code: fault.code ?? 'Error',
      });
    const result = batch ? this.apply(batch) : { deployment_model: 'GLOBAL', location: 'local' };
    if (fault === 'lost-answer') throw new TypeError('fetch failed: connection reset');
    if (fault === 'timeout')
      throw new DOMException('The operation was aborted due to timeout', 'TimeoutError');
    if (fault === 'hang') return new Promise<Response>(() => {});
    return json(200, result);
  };

  private arrived(batch: ReceivedBatch): void {
    this.received.push(structuredClone(batch));
    for (const w of this.waiting.filter((w) => this.received.length >= w.count)) w.resolve();
    this.waiting = this.waiting.filter((w) => this.received.length < w.count);
  }

  private apply(batch: ReceivedBatch): EditBatchResult {
    if (batch.seq <= this.appliedSeq)
      return { appliedSeq: this.appliedSeq, duplicate: true, before: {}, data: structuredClone(this.doc) };
    const before: EditBatchResult['before'] = {};
    for (const op of batch.ops) {
      before[op.path] = op.path in this.doc ? { exists: true, value: this.doc[op.path] } : { exists: false };
      if (op.op === 'set') this.doc[op.path] = op.value;
      else if (op.op === 'unset') delete this.doc[op.path];
      else this.doc[op.path] = ((this.doc[op.path] as number | undefined) ?? 0) + op.value;
    }
    this.appliedSeq = batch.seq;
    return { appliedSeq: this.appliedSeq, duplicate: false, before, data: structuredClone(this.doc) };
  }

  /** The engine's transport pointed at this backend. */
  transport(): Transport {
    return new Transport('http://backend.invalid', 'app', this.fetch);
  }
}

function json(status: number, body: unknown): Response {
  return new Response(EJSON.stringify(body as never, { relaxed: true }), {
    status,
    headers: { 'content-type': 'application/json' },
  });
}
