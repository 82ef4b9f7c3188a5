/**
 * One server-sent-event stream to one client, with back-pressure: what the client has not
 * read yet stays in Node's write buffer, and when that exceeds `maxBufferedBytes` the client
 * is too slow. The change stream never waits for a slow client: the caller drops it instead.
 */
import type { Writable } from 'node:stream';
import { SSE_KEEPALIVE, sseError } from '../protocol/watch.js';

/** After a final error block, how long a client that reads nothing may hold the socket. */
const END_GRACE_MS = 10_000;

export class SseSink {
  private ended = false;
  private closed = false;
  private readonly closeListeners: (() => void)[] = [];
  /** Time (injected clock) of the last block written, for keep-alives. */
  lastWriteAt: number;

  constructor(
    private readonly out: Writable,
    private readonly maxBufferedBytes: number,
    now: number,
  ) {
    this.lastWriteAt = now;
    const closed = () => this.markClosed();
    out.once('close', closed);
    out.once('error', closed);
  }

  get isOpen(): boolean {
    return !this.ended && !this.out.destroyed;
  }

  /** Bytes written but not yet taken by the client's socket. */
  get bufferedBytes(): number {
    return this.out.writableLength;
  }

  /**
   * Writes one block. False (nothing written) when the client is already too far behind:
   * the caller then ends the stream with an error (see `fail`).
   */
  send(block: string, now: number): boolean {
    if (!this.isOpen) return false;
    // Already this far behind (a single event may be larger than the limit: it still goes).
    if (this.out.writableLength > this.maxBufferedBytes) return false;
    this.out.write(block);
    this.lastWriteAt = now;
    return true;
  }

  keepAlive(now: number): void {
    this.send(SSE_KEEPALIVE, now);
  }

  /** Ends the stream with an error block (written past the limit: it is the last one). */
  fail(message: string, code: string): void {
    if (!this.isOpen) return;
    this.ended = true;
    this.out.end(sseError(message, code));
    // A client that reads nothing would keep the socket (and its buffer) forever.
    setTimeout(() => this.out.destroy(), END_GRACE_MS).unref();
  }

  /** Ends the stream quietly (the client went away or the server stops). */
  end(): void {
    if (!this.isOpen) return;
    this.ended = true;
    this.out.end();
  }

  onClose(listener: () => void): void {
    if (this.closed) listener();
    else this.closeListeners.push(listener);
  }

  private markClosed(): void {
    this.ended = true;
    this.closed = true;
    for (const listener of this.closeListeners.splice(0)) listener();
  }
}
