/**
 * `collection.watch()` (app-services-protocol.md §9): live change events over SSE, backed by
 * MongoDB change streams. Each backend instance opens ONE change stream per watched
 * collection and fans its events out to that collection's subscribers, so a write from
 * anywhere (data API, functions, admin API, another program) reaches every subscriber on
 * every instance; MongoDB is the only shared state.
 *
 * Owner rule (custom data collection): a subscriber receives events only for documents
 * whose user ID field is its user's id. Deletes carry no document, so each feed remembers
 * which _ids belong to its subscribed users (loaded at subscribe time, kept current from the
 * events themselves); a document moved to another owner reaches its old owner as a delete.
 */
import { EventEmitter } from 'node:events';
import { EJSON } from 'bson';
import type { FastifyReply, FastifyRequest } from 'fastify';
import {
  type ChangeStream,
  type ChangeStreamDocument,
  type Collection,
  type Document,
  type MongoClient,
  MongoServerError,
  type ResumeToken,
} from 'mongodb';
// sift is CommonJS without statically detectable exports: Node's ESM loader sees only its default.
import sift from 'sift';
import { z } from 'zod';
import {
  AppError,
  ErrorCode,
  fromEJSON,
  functionCallBodySchema,
  isPlainObject,
  Messages,
  SYNC_BOOKKEEPING_FIELD,
  toCanonicalEJSONText,
} from '../protocol/index.js';
import { decodeBaasRequest, SSE_KEEPALIVE, sseMessage, WatchErrorCode } from '../protocol/watch.js';
import { DEFAULT_LIMITS } from './limits.js';
import type { Logger } from './logger.js';
import { type CollectionRule, type ConfiguredRule, collectionRule, readableFields } from './rules.js';
import { SseSink } from './sse.js';

export interface WatchOptions {
  /** A comment line after this long without output, while the change stream is healthy. */
  keepAliveMs: number;
  /** How often (real time) keep-alives and token expiry are checked. */
  sweepMs: number;
  /** Per subscriber: unread bytes allowed before it is dropped as too slow. */
  maxBufferedBytes: number;
  maxSubscribers: number;
  maxSubscribersPerUser: number;
  /** A feed stays open this long (real time) after its last subscriber left: reconnects are cheap. */
  lingerMs: number;
  /** How long a new subscriber waits for the change stream to open before a 503. */
  openTimeoutMs: number;
  /** After this long (real time) without a working change stream, subscribers are told to reconnect. */
  outageMs: number;
  /** getMore wait of the change stream (also how often a healthy stream proves itself). */
  maxAwaitTimeMs: number;
  /** Per subscribed user: _ids remembered for delete routing. */
  maxTrackedIdsPerUser: number;
}

export const defaultWatchOptions: WatchOptions = {
  keepAliveMs: 15_000,
  sweepMs: 1_000,
  maxBufferedBytes: 1024 * 1024,
  maxSubscribers: 10_000,
  maxSubscribersPerUser: 16,
  lingerMs: 30_000,
  openTimeoutMs: 10_000,
  outageMs: 30_000,
  maxAwaitTimeMs: 1_000,
  maxTrackedIdsPerUser: 10_000,
};

export interface WatchConfig {
  serviceName: string;
  customData: { enabled: boolean; database: string; collection: string; userIdField: string };
  /** "db.collection" names every logged-in user may read (and so watch). */
  openCollections: string[];
  /** Rules per "db.collection" (an imported app's), checked before the defaults. */
  collectionRules?: Record<string, ConfiguredRule>;
}

/** The data API's collection rule (rules.ts collectionRule): owner on custom data, open list, else denied. */
type Access = CollectionRule;

const watchArgsSchema = z.object({
  database: z.string().min(1).max(64),
  collection: z.string().min(1).max(255),
  ids: z.array(z.unknown()).min(1).max(1000).optional(),
  filter: z.record(z.string(), z.unknown()).optional(),
});

/**
 * Query operators a watch filter may use. $regex is refused for now: SecantusDB-style
 * catastrophic patterns would run in this process on every event.
 * TODO: allow $regex once the regex safety check of sync/server/limits.ts exists, by calling
 * it from assertWatchFilter below.
 */
const FILTER_OPERATIONS = {
  $all: sift.$all,
  $and: sift.$and,
  $elemMatch: sift.$elemMatch,
  $eq: sift.$eq,
  $exists: sift.$exists,
  $gt: sift.$gt,
  $gte: sift.$gte,
  $in: sift.$in,
  $lt: sift.$lt,
  $lte: sift.$lte,
  $mod: sift.$mod,
  $ne: sift.$ne,
  $nin: sift.$nin,
  $nor: sift.$nor,
  $not: sift.$not,
  $or: sift.$or,
  $size: sift.$size,
  $type: sift.$type,
};
const MAX_FILTER_DEPTH = 16;

/** Codes MongoDB answers when change streams do not exist on this deployment. */
const UNSUPPORTED_CODES = new Set([40573, 40324, 115, 20]);
/** Codes meaning the resume point is gone: events may have been missed. */
const HISTORY_LOST_CODES = new Set([280, 286, 136, 9]);

/** Fields of a change event a client sees (no session ids, no pre-images). */
const EVENT_FIELDS = [
  '_id',
  'operationType',
  'clusterTime',
  'wallTime',
  'ns',
  'to',
  'documentKey',
  'fullDocument',
  'updateDescription',
] as const;

type Predicate = (event: Document) => boolean;

interface Subscriber {
  userId: string;
  expiresAt: number;
  sink: SseSink;
  matches: Predicate;
  feed: CollectionFeed;
}

export interface WatchStats {
  feeds: number;
  openChangeStreams: number;
  subscribers: number;
  droppedTooSlow: number;
}

/**
 * All watch subscriptions of this backend instance. Emits 'subscribed' and 'unsubscribed'
 * (with the subscriber count) so tests and benchmarks can wait for them.
 */
export class WatchHub extends EventEmitter {
  /** Set by probe(): false when the database has no change streams. */
  supported: boolean | undefined;
  unsupportedReason = '';
  private readonly feeds = new Map<string, CollectionFeed>();
  private readonly perUser = new Map<string, number>();
  private subscriberCount = 0;
  private sweepTimer: NodeJS.Timeout | undefined;
  private closed = false;
  droppedTooSlow = 0;
  readonly options: WatchOptions;

  constructor(
    private readonly mongo: MongoClient,
    private readonly config: WatchConfig,
    readonly now: () => number,
    readonly logger: Logger,
    options: Partial<WatchOptions> = {},
  ) {
    super();
    this.options = { ...defaultWatchOptions, ...options };
    this.sweepTimer = setInterval(() => this.sweep(), this.options.sweepMs);
    this.sweepTimer.unref();
  }

  /**
   * Opens and closes one change stream to learn whether the database has them. A transient
   * failure (network) leaves `supported` undefined: the first watch tries again.
   */
  async probe(database: string, collection: string): Promise<boolean | undefined> {
    const stream = this.mongo.db(database).collection(collection).watch([], { maxAwaitTimeMS: 10 });
    try {
      await stream.tryNext();
      this.supported = true;
    } catch (error) {
      if (isUnsupported(error)) this.markUnsupported(error);
      else
        this.logger.warn(
          { err: (error as Error).message },
          'could not check for change streams; watch will try when first used',
        );
    } finally {
      await stream.close().catch(() => undefined);
    }
    return this.supported;
  }

  markUnsupported(error: unknown): void {
    this.supported = false;
    this.unsupportedReason = (error as Error).message;
    this.logger.warn(
      { reason: this.unsupportedReason },
      'this MongoDB has no change streams (they need a replica set): collection.watch() answers 400 ' +
        'ChangeStreamsNotSupported and clients see other writers only at token renewal',
    );
  }

  /** The GET functions/call route: parses `baas_request`, checks rules, then streams. */
  async serve(request: FastifyRequest, reply: FastifyReply, userId: string, expSeconds: number) {
    const query = request.query as { baas_request?: unknown };
    if (typeof query.baas_request !== 'string' || query.baas_request === '')
      throw new AppError(400, ErrorCode.MissingParameter, 'baas_request is required for a streaming call');
    const call = functionCallBodySchema.safeParse(decodeBaasRequest(query.baas_request));
    if (!call.success)
      throw new AppError(400, ErrorCode.BadRequest, 'baas_request must be base64 of a function call body');
    const { name, service } = call.data;
    if (!service)
      throw new AppError(400, ErrorCode.FunctionNotFound, `function '${name}' cannot be called as a stream`);
    if (service !== this.config.serviceName)
      throw new AppError(404, ErrorCode.ServiceNotFound, `service not found: '${service}'`);
    if (name !== 'watch')
      throw new AppError(400, ErrorCode.ServiceCommandNotFound, `'${name}' cannot be called as a stream`);
    const args = fromEJSON<unknown[]>(call.data.arguments, true);
    if (args.length !== 1)
      throw new AppError(400, ErrorCode.InvalidParameter, 'watch takes exactly one argument object');
    const parsed = watchArgsSchema.safeParse(args[0]);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new AppError(
        400,
        ErrorCode.InvalidParameter,
        `watch: ${issue?.path.join('.') || 'argument'}: ${issue?.message}`,
      );
    }
    const { database, collection, ids, filter } = parsed.data;
    if (ids && filter)
      throw new AppError(400, ErrorCode.InvalidParameter, 'watch takes ids or filter, not both');
    const access = this.accessFor(database, collection);
    const matches = predicateFor(ids, filter as Document | undefined);

    if (this.supported === false)
      throw new AppError(
        400,
        ErrorCode.ChangeStreamsNotSupported,
        `this database has no change streams: ${this.unsupportedReason}`,
      );
    if (this.closed) throw unavailable('the server is shutting down');
    if (this.subscriberCount >= this.options.maxSubscribers)
      throw new AppError(429, ErrorCode.TooManyRequests, 'too many open watch streams on this server');
    if ((this.perUser.get(userId) ?? 0) >= this.options.maxSubscribersPerUser)
      throw new AppError(429, ErrorCode.TooManyRequests, 'too many open watch streams for this user');

    const feed = this.feedFor(database, collection, access);
    // Counted before the wait so concurrent requests cannot pass the caps together.
    this.count(userId, +1);
    let joined = false;
    let added = false;
    try {
      await feed.join(userId);
      joined = true;
      reply.hijack();
      // The client went away while the change stream opened.
      if (request.raw.destroyed || reply.raw.destroyed || this.closed) {
        reply.raw.destroy();
        return;
      }
      reply.raw.writeHead(200, {
        // CORS and other headers hooks put on the reply (hijack skips fastify's own writing).
        ...(reply.getHeaders() as Record<string, string>),
        'content-type': 'text/event-stream',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      const sink = new SseSink(reply.raw, this.options.maxBufferedBytes, this.now());
      const sub: Subscriber = { userId, expiresAt: expSeconds * 1000, sink, matches, feed };
      feed.add(sub);
      added = true; // the subscriber owns the counts now; remove() gives them back
      // First bytes at once: the client's fetch resolves and it may count the stream as live.
      sink.send(SSE_KEEPALIVE, this.now());
      // The response's 'close' is the client going away (realm-web cancels its reader).
      sink.onClose(() => this.remove(sub));
      this.emit('subscribed', this.subscriberCount);
    } catch (error) {
      if (error instanceof ChangeStreamsUnsupportedError) {
        throw new AppError(400, ErrorCode.ChangeStreamsNotSupported, error.message);
      }
      throw error;
    } finally {
      if (!added) {
        this.count(userId, -1);
        if (joined) feed.leave(userId);
      }
    }
  }

  /** Keep-alives for quiet healthy streams; streams whose access token expired are closed. */
  sweep(): void {
    const now = this.now();
    for (const feed of this.feeds.values()) {
      for (const sub of [...feed.subscribers]) {
        if (now >= sub.expiresAt) {
          this.drop(sub, Messages.accessTokenExpired, WatchErrorCode.InvalidSession);
        } else if (feed.live && now - sub.sink.lastWriteAt >= this.options.keepAliveMs) {
          if (!sub.sink.send(SSE_KEEPALIVE, now)) this.dropSlow(sub);
        }
      }
      feed.checkOutage();
    }
  }

  stats(): WatchStats {
    let open = 0;
    for (const feed of this.feeds.values()) if (feed.streamOpen) open += 1;
    return {
      feeds: this.feeds.size,
      openChangeStreams: open,
      subscribers: this.subscriberCount,
      droppedTooSlow: this.droppedTooSlow,
    };
  }

  /** The feed of a collection, if one exists (tests use it to interrupt the change stream). */
  feed(database: string, collection: string): CollectionFeed | undefined {
    return this.feeds.get(`${database}.${collection}`);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.sweepTimer);
    const feeds = [...this.feeds.values()];
    for (const feed of feeds) {
      for (const sub of [...feed.subscribers])
        this.drop(sub, 'the server is shutting down', WatchErrorCode.ServerShuttingDown);
    }
    await Promise.all(feeds.map((feed) => feed.stop(true)));
    this.feeds.clear();
  }

  /** Ends one subscriber with an error block the client throws as WatchError. */
  drop(sub: Subscriber, message: string, code: string): void {
    sub.sink.fail(message, code);
    this.remove(sub);
  }

  dropSlow(sub: Subscriber): void {
    this.droppedTooSlow += 1;
    this.logger.warn({ bufferedBytes: sub.sink.bufferedBytes }, 'watch subscriber reads too slowly; dropped');
    this.drop(
      sub,
      'the client read change events too slowly and was disconnected; re-read and watch again',
      WatchErrorCode.SubscriberTooSlow,
    );
  }

  private remove(sub: Subscriber): void {
    if (!sub.feed.remove(sub)) return;
    sub.sink.end();
    this.count(sub.userId, -1);
    this.emit('unsubscribed', this.subscriberCount);
  }

  private count(userId: string, delta: number): void {
    this.subscriberCount += delta;
    const n = (this.perUser.get(userId) ?? 0) + delta;
    if (n <= 0) this.perUser.delete(userId);
    else this.perUser.set(userId, n);
  }

  private accessFor(database: string, collection: string): Access {
    return collectionRule(
      this.config.customData,
      this.config.openCollections,
      database,
      collection,
      this.config.collectionRules,
    );
  }

  private feedFor(database: string, collection: string, access: Access): CollectionFeed {
    const key = `${database}.${collection}`;
    let feed = this.feeds.get(key);
    if (!feed) {
      feed = new CollectionFeed(this, this.mongo.db(database).collection(collection), key, access);
      this.feeds.set(key, feed);
    }
    return feed;
  }
}

class ChangeStreamsUnsupportedError extends Error {}

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
    private readonly hub: WatchHub,
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

/** Which top-level fields a subscriber may not see: bookkeeping on owned data, and field rules. */
function hiddenFields(access: Access, owned: boolean): ((field: string) => boolean) | undefined {
  const fields = access.fields;
  if (!owned && !fields) return undefined;
  return (field) =>
    (owned && field === SYNC_BOOKKEEPING_FIELD) ||
    (fields !== undefined && field !== '_id' && !readableFields({ [field]: true }, fields)[field]);
}

/** The event as clients see it; undefined when nothing visible changed (hidden fields only). */
function clientEvent(
  change: ChangeStreamDocument,
  hide: ((field: string) => boolean) | undefined,
): Document | undefined {
  const source = change as unknown as Document;
  const event: Document = {};
  for (const key of EVENT_FIELDS) if (source[key] !== undefined) event[key] = source[key];
  if (!hide) return event;
  if (isPlainObject(event.fullDocument))
    event.fullDocument = Object.fromEntries(
      Object.entries(event.fullDocument as Document).filter(([k]) => !hide(k)),
    );
  const description = event.updateDescription as Document | undefined;
  if (description) {
    const hidden = (path: string) => hide(path.split('.')[0] as string);
    const updatedFields = Object.fromEntries(
      Object.entries((description.updatedFields ?? {}) as Document).filter(([path]) => !hidden(path)),
    );
    const removedFields = ((description.removedFields ?? []) as string[]).filter((p) => !hidden(p));
    const truncatedArrays = ((description.truncatedArrays ?? []) as Document[]).filter(
      (t) => !hidden(String(t.field)),
    );
    if (Object.keys(updatedFields).length === 0 && removedFields.length === 0 && truncatedArrays.length === 0)
      return undefined;
    event.updateDescription = { ...description, updatedFields, removedFields, truncatedArrays };
  }
  return event;
}

function syntheticDelete(change: ChangeStreamDocument, documentKey: Document): Document {
  const source = change as unknown as Document;
  return {
    _id: source._id,
    operationType: 'delete',
    clusterTime: source.clusterTime,
    wallTime: source.wallTime,
    ns: source.ns,
    documentKey: { _id: documentKey._id },
  };
}

/** A stable key for an _id (ObjectId, string, number...). */
function idKey(id: unknown): string {
  return EJSON.stringify({ id } as Document, { relaxed: true });
}

function predicateFor(ids: unknown[] | undefined, filter: Document | undefined): Predicate {
  if (ids) {
    const wanted = new Set(ids.map(idKey));
    return (event) => {
      const id = (event.documentKey as Document | undefined)?._id;
      return id !== undefined && wanted.has(idKey(id));
    };
  }
  if (!filter || Object.keys(filter).length === 0) return () => true;
  assertWatchFilter(filter, 0);
  let test: Predicate;
  try {
    test = sift.createQueryTester(filter, { operations: FILTER_OPERATIONS }) as Predicate;
  } catch (error) {
    throw new AppError(400, ErrorCode.InvalidParameter, `watch filter: ${(error as Error).message}`);
  }
  return (event) => {
    try {
      return test(event);
    } catch {
      return false;
    }
  };
}

/** Only the operators above; no regular expressions (see FILTER_OPERATIONS), bounded depth. */
function assertWatchFilter(value: unknown, depth: number): void {
  if (depth > MAX_FILTER_DEPTH)
    throw new AppError(400, ErrorCode.InvalidParameter, 'watch filter is nested too deeply');
  if (value instanceof RegExp || (value as { _bsontype?: string } | null)?._bsontype === 'BSONRegExp')
    throw new AppError(
      400,
      ErrorCode.InvalidParameter,
      'regular expressions are not allowed in watch filters yet',
    );
  if (Array.isArray(value)) {
    for (const item of value) assertWatchFilter(item, depth + 1);
    return;
  }
  if (!isPlainObject(value)) return;
  for (const [key, child] of Object.entries(value)) {
    if (key.startsWith('$') && !Object.hasOwn(FILTER_OPERATIONS, key)) {
      const why = key === '$regex' || key === '$options' ? ' yet' : '';
      throw new AppError(
        400,
        ErrorCode.InvalidParameter,
        `operator ${key} is not allowed in watch filters${why}`,
      );
    }
    assertWatchFilter(child, depth + 1);
  }
}

function isUnsupported(error: unknown): boolean {
  if (!(error instanceof MongoServerError)) return false;
  return (
    UNSUPPORTED_CODES.has(Number(error.code)) ||
    (/\$changeStream|change stream/i.test(error.message) &&
      /replica set|not supported|unrecognized/i.test(error.message))
  );
}

function unavailable(message: string): AppError {
  return new AppError(503, ErrorCode.ServiceUnavailable, message);
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
