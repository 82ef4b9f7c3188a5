/**
 * The sessions collection's change stream, read with plain `aggregate` / `getMore` commands so
 * that the view knows exactly how current it is: `confirmedAt` is the (monotonic) time a
 * `getMore` was sent whose whole answer has been applied — every change committed before that
 * moment is in the view. Any failure, an `invalidate` (drop, rename) or a change of an unknown
 * kind resets the view (empty: the database answers until it fills again) and reopens the stream
 * from now, with backoff; no resume token is needed, since nothing older is kept.
 */
import type { Db, Document, Long, MongoClient } from 'mongodb';

/** MongoDB's answer when change streams do not exist here (a standalone mongod). */
const UNSUPPORTED_CODES = new Set([40573, 40324, 115, 20]);

export interface FeedHandlers {
  /** Forget everything (the stream restarts from now). */
  reset(): void;
  /** A change event of the sessions collection. False: unknown kind, reset and reopen. */
  apply(event: Document): boolean;
}

export interface FeedOptions {
  /** How long a `getMore` waits for changes before answering empty (awaitData). */
  awaitMs: number;
  /** An answer later than this is a stalled connection: reopen (the view is stale meanwhile anyway). */
  stallMs: number;
  /** Backoff after a failure: from this, doubling, up to `maxRetryMs`. */
  retryMs: number;
  maxRetryMs: number;
  /** Monotonic milliseconds. */
  clock: () => number;
}

export interface FeedLogger {
  info(o: object, m?: string): void;
  warn(o: object, m?: string): void;
}

export type FeedState = 'starting' | 'open' | 'down' | 'unsupported' | 'closed';

export class SessionFeed {
  state: FeedState = 'starting';
  /** Every change committed before this (monotonic) time has been applied; -Infinity: nothing is. */
  confirmedAt = Number.NEGATIVE_INFINITY;
  /** Bumped at every (re)open: a read made under an older epoch may predate the stream. */
  epoch = 0;
  private closed = false;
  private running: Promise<void> | undefined;
  private wake: (() => void) | undefined;

  constructor(
    private readonly client: MongoClient,
    private readonly db: Db,
    private readonly collection: string,
    private readonly handlers: FeedHandlers,
    private readonly options: FeedOptions,
    private readonly logger: FeedLogger,
  ) {}

  start(): void {
    this.running ??= this.run();
  }

  /** Stops the loop (its last `getMore` ends within `awaitMs`) and kills the cursor. */
  async close(): Promise<void> {
    this.closed = true;
    this.state = 'closed';
    this.confirmedAt = Number.NEGATIVE_INFINITY;
    this.wake?.();
    await this.running;
  }

  private async run(): Promise<void> {
    let retryMs = this.options.retryMs;
    let downSince: number | undefined;
    // Set when the stream ended on an event the view cannot follow: reopened after a pause.
    let pause = false;
    while (!this.closed) {
      if (pause) await this.sleep(this.options.retryMs);
      pause = false;
      if (this.closed) break;
      const session = this.client.startSession({ causalConsistency: false });
      let cursorId: Long | number | undefined;
      try {
        this.down();
        let sentAt = this.options.clock();
        const opened = await this.deadline(
          this.db.command(
            { aggregate: this.collection, pipeline: [{ $changeStream: {} }], cursor: {} },
            { session },
          ),
        );
        cursorId = opened.cursor.id as Long;
        // The view is empty and the stream starts no later than now: it is current as of sentAt.
        pause = !this.applyBatch(opened.cursor.firstBatch as Document[]);
        if (pause) continue;
        this.epoch += 1;
        this.state = 'open';
        this.confirmedAt = sentAt;
        if (downSince !== undefined)
          this.logger.info(
            { downMs: Math.round(this.options.clock() - downSince) },
            'session view: change stream open again',
          );
        downSince = undefined;
        retryMs = this.options.retryMs;
        while (!this.closed) {
          sentAt = this.options.clock();
          const more = await this.deadline(
            this.db.command(
              { getMore: cursorId, collection: this.collection, maxTimeMS: this.options.awaitMs },
              { session },
            ),
          );
          if (this.closed) break;
          pause = !this.applyBatch(more.cursor.nextBatch as Document[]);
          if (pause) break;
          this.confirmedAt = sentAt;
          cursorId = more.cursor.id as Long;
          // The server closed the cursor: reopen (what it answered was applied).
          if (isZero(cursorId)) break;
        }
      } catch (error) {
        if (this.closed) break;
        const unsupported = UNSUPPORTED_CODES.has((error as { code?: number }).code ?? -1);
        if (downSince === undefined) {
          downSince = this.options.clock();
          this.logger.warn(
            { err: { message: (error as Error).message } },
            unsupported
              ? 'session view: no change streams on this deployment; every refresh reads its session'
              : 'session view: change stream failed; refreshes read their session until it is back',
          );
        }
        this.down(unsupported ? 'unsupported' : 'down');
        await this.sleep(unsupported ? this.options.maxRetryMs : retryMs);
        retryMs = Math.min(retryMs * 2, this.options.maxRetryMs);
      } finally {
        this.down();
        if (cursorId !== undefined && !isZero(cursorId))
          await this.deadline(
            this.db.command({ killCursors: this.collection, cursors: [cursorId] }, { session }),
          ).catch(() => undefined);
        await session.endSession().catch(() => undefined);
      }
    }
    this.state = 'closed';
  }

  /** Applies a whole batch; false when the stream must be reopened (the view is reset then). */
  private applyBatch(events: Document[]): boolean {
    for (const event of events) {
      if (!this.handlers.apply(event)) {
        this.down();
        return false;
      }
    }
    return true;
  }

  /** Not current any more: nothing may be answered from the view until the stream confirms again. */
  private down(state: FeedState = this.state === 'unsupported' ? 'unsupported' : 'down'): void {
    if (!this.closed) this.state = state;
    this.confirmedAt = Number.NEGATIVE_INFINITY;
    this.epoch += 1;
    this.handlers.reset();
  }

  /** The command's answer, or a failure once `stallMs` passed without one. */
  private deadline<T>(command: Promise<T>): Promise<T> {
    command.catch(() => undefined);
    let timer: NodeJS.Timeout | undefined;
    const stalled = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('change stream command stalled')), this.options.stallMs);
    });
    return Promise.race([command, stalled]).finally(() => clearTimeout(timer));
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      timer.unref();
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}

function isZero(id: Long | number): boolean {
  return typeof id === 'number' ? id === 0 : id.isZero();
}
