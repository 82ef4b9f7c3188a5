/**
 * One collection's change stream and its subscribers, hosted by the hub (hub.ts) through the
 * narrow FeedHost surface. Who receives each change is routing.ts (with ownership.ts for the
 * owner rule).
 */
import type { ChangeStream, Collection, Document, ResumeToken } from 'mongodb';
import { AppError } from '../../protocol/index.js';
import { WatchErrorCode } from '../../protocol/watch.js';
import { ChangeStreamsUnsupportedError, isHistoryLost, isUnsupported } from './change-stream-errors.js';
import { Routing } from './routing.js';
import { type Access, delay, type FeedHost, type Subscriber, unavailable } from './types.js';

/**
 * One collection's change stream and its subscribers. The stream runs while anyone listens
 * (plus a linger), resumes from its last resume token after any failure, and never blocks
 * on a subscriber: events are handed to each sink, which drops itself when too far behind.
 */
export class CollectionFeed {
  private readonly routing: Routing;
  private running: Promise<void> | undefined;
  private stream: ChangeStream | undefined;
  private token: ResumeToken | undefined;
  private tokenIsInvalidate = false;
  private stopping = false;
  private lingerTimer: NodeJS.Timeout | undefined;
  private liveWaiters: { resolve(): void; reject(e: Error): void }[] = [];
  /** Real time when the stream last failed, while it is down. */
  private downSince: number | undefined;
  /** Test hook: while set, a dropped stream waits for it before reopening. */
  private reopenGate: Promise<void> | undefined;
  private closed = false;
  /** join() calls not yet followed by add() or leave(). */
  private pending = 0;
  private generation = 0;
  private isLive = false;

  /** True while the change stream is open and answering (keep-alives are sent only then). */
  get live(): boolean {
    return this.isLive;
  }

  constructor(
    private readonly hub: FeedHost,
    private readonly coll: Collection<Document>,
    readonly ns: string,
    access: Access,
  ) {
    this.routing = new Routing(hub, coll, access);
  }

  get subscribers(): ReadonlySet<Subscriber> {
    return this.routing.subscribers;
  }

  get streamOpen(): boolean {
    return this.stream !== undefined && !this.stream.closed;
  }

  /**
   * Waits until the change stream is open and the user's _ids are known. Then exactly one
   * of add() (it became a subscriber) or leave() (it did not) follows.
   */
  async join(userId: string): Promise<void> {
    clearTimeout(this.lingerTimer);
    this.lingerTimer = undefined;
    this.pending += 1;
    this.routing.acquire(userId);
    try {
      this.start();
      await Promise.all([this.whenLive(), this.routing.ready(userId)]);
    } catch (error) {
      this.leave(userId);
      if (error instanceof AppError || error instanceof ChangeStreamsUnsupportedError) throw error;
      // Reading the user's _ids failed: as transient as the database.
      throw unavailable(`cannot start watching: ${(error as Error).message}`);
    }
  }

  /** Undoes join() for a request that never became a subscriber. */
  leave(userId: string): void {
    this.pending -= 1;
    this.routing.release(userId);
    this.scheduleLinger();
  }

  add(sub: Subscriber): void {
    this.pending -= 1;
    this.routing.add(sub);
  }

  /** False when it was not (or no longer) subscribed. */
  remove(sub: Subscriber): boolean {
    if (!this.routing.remove(sub)) return false;
    this.scheduleLinger();
    return true;
  }

  /**
   * Test hook: closes the change stream as a network failure would; it reopens from its
   * resume token when the returned function is called.
   */
  interrupt(): () => void {
    let release!: () => void;
    this.reopenGate = new Promise<void>((resolve) => {
      release = resolve;
    });
    void this.stream?.close().catch(() => undefined);
    return () => {
      this.reopenGate = undefined;
      release();
    };
  }

  /** Tells subscribers to reconnect when the change stream has been down too long. */
  checkOutage(): void {
    if (this.downSince === undefined || Date.now() - this.downSince < this.hub.options.outageMs) return;
    this.dropAll('change events are unavailable on this server right now', WatchErrorCode.ServiceUnavailable);
  }

  /** Closes the change stream; `final` at shutdown (nobody may restart it). */
  async stop(final = false): Promise<void> {
    if (final) {
      this.closed = true;
      this.failWaiters(unavailable('the server is shutting down'));
    }
    this.stopping = true;
    clearTimeout(this.lingerTimer);
    this.markDown();
    await this.stream?.close().catch(() => undefined);
    await this.running;
    this.stopping = false;
    // Someone joined while it stopped (not at shutdown: the hub refuses new streams then).
    if (this.pending > 0 && !this.closed) this.start();
  }

  private idle(): boolean {
    return this.subscribers.size === 0 && this.pending === 0;
  }

  private start(): void {
    if (this.running || this.closed) return;
    const generation = ++this.generation;
    this.running = this.run(generation)
      .catch((error) =>
        this.hub.logger.error({ ns: this.ns, err: (error as Error).message }, 'change stream loop failed'),
      )
      .finally(() => this.exit(generation));
  }

  /**
   * Synchronous with the decision to stop, so a join right after starts a fresh loop. A later
   * start must not replay events from before its subscribers joined: the token goes too.
   */
  private exit(generation: number): void {
    if (this.generation !== generation) return;
    this.generation += 1;
    this.running = undefined;
    this.stream = undefined;
    this.markDown();
    this.token = undefined;
    this.tokenIsInvalidate = false;
    this.downSince = undefined;
  }

  private whenLive(): Promise<void> {
    if (this.closed) return Promise.reject(unavailable('the server is shutting down'));
    if (this.live) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const waiter = {
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
        reject: (e: Error) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      const timer = setTimeout(() => {
        this.liveWaiters = this.liveWaiters.filter((w) => w !== waiter);
        reject(unavailable('the change stream did not open in time; try again'));
      }, this.hub.options.openTimeoutMs);
      timer.unref();
      this.liveWaiters.push(waiter);
    });
  }

  private markDown(): void {
    if (!this.isLive) return;
    this.isLive = false;
    this.hub.emit('feed', this.ns, false);
  }

  private setLive(): void {
    if (this.isLive) return;
    this.isLive = true;
    this.hub.emit('feed', this.ns, true);
    if (this.downSince !== undefined) {
      this.hub.logger.info({ ns: this.ns }, 'change stream resumed');
      this.downSince = undefined;
    }
    for (const w of this.liveWaiters.splice(0)) w.resolve();
  }

  private async run(generation: number): Promise<void> {
    let backoff = 250;
    while (!this.stopping) {
      // After an invalidate (drop, rename) only startAfter goes on; resumeAfter would fail.
      const from = this.tokenIsInvalidate ? 'startAfter' : 'resumeAfter';
      const resume = this.token ? { [from]: this.token } : {};
      const stream = this.coll.watch([], {
        fullDocument: 'updateLookup',
        maxAwaitTimeMS: this.hub.options.maxAwaitTimeMs,
        ...resume,
      });
      this.stream = stream;
      // The aggregate's answer carries the first resume token: from then on no write is missed.
      stream.on('resumeTokenChanged', (token: ResumeToken) => {
        // A fresh stream that fails before its first getMore still resumes from here.
        if (this.token === undefined) this.token = token;
        this.setLive();
      });
      try {
        for (;;) {
          const change = await stream.tryNext();
          if (this.stopping) return;
          if (stream.closed) throw new Error('change stream closed');
          this.setLive();
          backoff = 250;
          if (change) {
            this.token = change._id;
            this.tokenIsInvalidate = change.operationType === 'invalidate';
            this.routing.dispatch(change);
            // After a drop or rename the stream is finished: reopen after the invalidate.
            if (this.tokenIsInvalidate) break;
          } else if (stream.resumeToken) {
            this.token = stream.resumeToken;
            this.tokenIsInvalidate = false;
          }
        }
      } catch (error) {
        if (this.stopping) return;
        this.markDown();
        if (isUnsupported(error)) {
          this.hub.markUnsupported(error);
          const why = `this database has no change streams: ${(error as Error).message}`;
          this.failWaiters(new ChangeStreamsUnsupportedError(why));
          this.dropAll('this database has no change streams', WatchErrorCode.ChangeStreamsNotSupported);
          this.exit(generation);
          return;
        }
        if (this.token && isHistoryLost(error)) {
          this.hub.logger.warn(
            { ns: this.ns, err: error.message },
            'change stream cannot resume; subscribers must re-read',
          );
          this.dropAll(
            'change events may have been missed; re-read the data and watch again',
            WatchErrorCode.ChangeStreamHistoryLost,
          );
          this.token = undefined;
        } else {
          this.downSince ??= Date.now();
          this.hub.logger.warn(
            { ns: this.ns, err: (error as Error).message },
            'change stream failed; resuming',
          );
        }
        await delay(backoff);
        backoff = Math.min(backoff * 2, 10_000);
      } finally {
        await stream.close().catch(() => undefined);
      }
      if (this.reopenGate) {
        this.markDown();
        this.downSince ??= Date.now();
        await this.reopenGate;
      }
      // Nobody listens any more: stop instead of reopening.
      if (this.idle()) break;
    }
    this.exit(generation);
  }

  /** Ends every subscriber's stream with an error block of that code. */
  private dropAll(message: string, code: WatchErrorCode): void {
    for (const sub of [...this.subscribers]) this.hub.drop(sub, message, code);
  }

  private failWaiters(error: Error): void {
    for (const w of this.liveWaiters.splice(0)) w.reject(error);
  }

  private scheduleLinger(): void {
    if (!this.idle() || this.lingerTimer || !this.running) return;
    this.lingerTimer = setTimeout(() => {
      this.lingerTimer = undefined;
      if (this.idle()) void this.stop();
    }, this.hub.options.lingerMs);
    this.lingerTimer.unref();
  }
}
