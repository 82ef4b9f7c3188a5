/**
 * One collection's change stream and its subscribers, hosted by the hub (hub.ts) through the
 * narrow FeedHost surface.
 */
import {
  type ChangeStream,
  type ChangeStreamDocument,
  type Collection,
  type Document,
  MongoServerError,
  type ResumeToken,
} from 'mongodb';
import { AppError, toCanonicalEJSONText } from '../../protocol/index.js';
import { sseMessage, WatchErrorCode } from '../../protocol/watch.js';
import { DEFAULT_LIMITS } from '../limits.js';
import { clientEvent, hiddenFields, idKey, syntheticDelete } from './events.js';
import { type Access, delay, type FeedHost, type Subscriber, unavailable } from './types.js';

/** Codes MongoDB answers when change streams do not exist on this deployment. */
const UNSUPPORTED_CODES = new Set([40573, 40324, 115, 20]);
/** Codes meaning the resume point is gone: events may have been missed. */
const HISTORY_LOST_CODES = new Set([280, 286, 136, 9]);

export class ChangeStreamsUnsupportedError extends Error {}

/**
 * One collection's change stream and its subscribers. The stream runs while anyone listens
 * (plus a linger), resumes from its last resume token after any failure, and never blocks
 * on a subscriber: events are handed to each sink, which drops itself when too far behind.
 */
export class CollectionFeed {
  readonly subscribers = new Set<Subscriber>();
  private readonly byUser = new Map<string, Set<Subscriber>>();
  /** _id key → owner, only for documents of users with a subscriber (or joining). */
  private readonly owners = new Map<string, string>();
  private readonly idsByUser = new Map<string, Set<string>>();
  private readonly userRefs = new Map<string, number>();
  private readonly loads = new Map<string, Promise<void>>();
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
    private readonly access: Access,
  ) {}

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
    if (this.access.kind === 'owner') this.acquireUser(userId);
    try {
      this.start();
      await Promise.all([this.whenLive(), this.access.kind === 'owner' ? this.loads.get(userId) : undefined]);
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
    if (this.access.kind === 'owner') this.releaseUser(userId);
    this.scheduleLinger();
  }

  add(sub: Subscriber): void {
    this.pending -= 1;
    this.subscribers.add(sub);
    const set = this.byUser.get(sub.userId) ?? new Set<Subscriber>();
    this.byUser.set(sub.userId, set);
    set.add(sub);
  }

  /** False when it was not (or no longer) subscribed. */
  remove(sub: Subscriber): boolean {
    if (!this.subscribers.delete(sub)) return false;
    const set = this.byUser.get(sub.userId);
    set?.delete(sub);
    if (set?.size === 0) this.byUser.delete(sub.userId);
    if (this.access.kind === 'owner') this.releaseUser(sub.userId);
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
    for (const sub of [...this.subscribers]) {
      this.hub.drop(
        sub,
        'change events are unavailable on this server right now',
        WatchErrorCode.ServiceUnavailable,
      );
    }
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
      const waiter = { resolve, reject };
      this.liveWaiters.push(waiter);
      const timer = setTimeout(() => {
        this.liveWaiters = this.liveWaiters.filter((w) => w !== waiter);
        reject(unavailable('the change stream did not open in time; try again'));
      }, this.hub.options.openTimeoutMs);
      timer.unref();
      const settle = () => clearTimeout(timer);
      waiter.resolve = () => {
        settle();
        resolve();
      };
      waiter.reject = (e) => {
        settle();
        reject(e);
      };
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
      const resume = this.token
        ? this.tokenIsInvalidate
          ? { startAfter: this.token }
          : { resumeAfter: this.token }
        : {};
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
            this.dispatch(change);
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
          this.failWaiters(
            new ChangeStreamsUnsupportedError(
              `this database has no change streams: ${(error as Error).message}`,
            ),
          );
          for (const sub of [...this.subscribers])
            this.hub.drop(
              sub,
              'this database has no change streams',
              WatchErrorCode.ChangeStreamsNotSupported,
            );
          this.exit(generation);
          return;
        }
        if (this.token && error instanceof MongoServerError && HISTORY_LOST_CODES.has(Number(error.code))) {
          this.hub.logger.warn(
            { ns: this.ns, err: error.message },
            'change stream cannot resume; subscribers must re-read',
          );
          for (const sub of [...this.subscribers]) {
            this.hub.drop(
              sub,
              'change events may have been missed; re-read the data and watch again',
              WatchErrorCode.ChangeStreamHistoryLost,
            );
          }
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

  private dispatch(change: ChangeStreamDocument): void {
    const now = this.hub.now();
    if (this.access.kind === 'open') {
      if (change.operationType === 'invalidate') return;
      const event = clientEvent(change, hiddenFields(this.access, false));
      if (!event) return;
      let block: string | undefined;
      for (const sub of [...this.subscribers]) {
        if (!sub.matches(event)) continue;
        block ??= sseMessage(toCanonicalEJSONText(event));
        if (!sub.sink.send(block, now)) this.hub.dropSlow(sub);
      }
      return;
    }
    const field = this.access.field;
    const documentKey = (change as { documentKey?: { _id?: unknown } }).documentKey;
    // drop, rename, invalidate...: no document, so no owner to deliver to.
    if (!documentKey || documentKey._id === undefined) return;
    const key = idKey(documentKey._id);
    const previous = this.owners.get(key);
    let owner: string | undefined;
    if (change.operationType === 'delete') {
      owner = previous;
      this.track(key, undefined);
    } else if ('fullDocument' in change && change.fullDocument) {
      const value = (change.fullDocument as Document)[field];
      owner = typeof value === 'string' ? value : undefined;
      this.track(key, owner);
    } else {
      // An update whose document was deleted before the lookup: route by what we knew.
      owner = previous;
    }
    if (owner !== undefined) this.deliver(owner, clientEvent(change, hiddenFields(this.access, true)), now);
    if (previous !== undefined && previous !== owner) {
      // Moved to another owner: for its old owner the document is gone.
      this.deliver(previous, syntheticDelete(change, documentKey), now);
    }
  }

  private deliver(userId: string, event: Document | undefined, now: number): void {
    const subs = this.byUser.get(userId);
    if (!subs || !event) return;
    let block: string | undefined;
    for (const sub of [...subs]) {
      if (!sub.matches(event)) continue;
      block ??= sseMessage(toCanonicalEJSONText(event));
      if (!sub.sink.send(block, now)) this.hub.dropSlow(sub);
    }
  }

  /** Records (or forgets, owner undefined) who owns a document, for users being watched. */
  private track(key: string, owner: string | undefined): void {
    const previous = this.owners.get(key);
    if (previous === owner) return;
    if (previous !== undefined) {
      this.owners.delete(key);
      this.idsByUser.get(previous)?.delete(key);
    }
    if (owner === undefined) return;
    const ids = this.idsByUser.get(owner);
    if (!ids || ids.size >= this.hub.options.maxTrackedIdsPerUser) return;
    ids.add(key);
    this.owners.set(key, owner);
  }

  private acquireUser(userId: string): void {
    const refs = this.userRefs.get(userId) ?? 0;
    this.userRefs.set(userId, refs + 1);
    if (refs > 0) return;
    this.idsByUser.set(userId, new Set());
    const field = (this.access as { field: string }).field;
    const load = (async () => {
      const docs = await this.coll
        .find(
          { [field]: userId },
          {
            projection: { _id: 1 },
            limit: this.hub.options.maxTrackedIdsPerUser,
            maxTimeMS: DEFAULT_LIMITS.maxTimeMS,
          },
        )
        .toArray();
      // Events seen meanwhile are newer than this read: they win.
      for (const doc of docs) {
        const key = idKey(doc._id);
        if (!this.owners.has(key)) this.track(key, userId);
      }
    })();
    this.loads.set(userId, load);
    load.then(
      () => {
        if (this.loads.get(userId) === load) this.loads.delete(userId);
      },
      () => {
        if (this.loads.get(userId) === load) this.loads.delete(userId);
      },
    );
  }

  private releaseUser(userId: string): void {
    const refs = (this.userRefs.get(userId) ?? 0) - 1;
    if (refs > 0) {
      this.userRefs.set(userId, refs);
      return;
    }
    this.userRefs.delete(userId);
    for (const key of this.idsByUser.get(userId) ?? []) this.owners.delete(key);
    this.idsByUser.delete(userId);
  }
}

export function isUnsupported(error: unknown): boolean {
  if (!(error instanceof MongoServerError)) return false;
  return (
    UNSUPPORTED_CODES.has(Number(error.code)) ||
    (/\$changeStream|change stream/i.test(error.message) &&
      /replica set|not supported|unrecognized/i.test(error.message))
  );
}
