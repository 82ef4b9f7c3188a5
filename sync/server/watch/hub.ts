/**
 * `collection.watch()` (docs/server.md, "Live changes"): live change events over SSE, backed by
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
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { MongoClient } from 'mongodb';
import { AppError, ErrorCode, Messages } from '../../protocol/index.js';
import { SSE_KEEPALIVE, WatchErrorCode } from '../../protocol/watch.js';
import type { Logger } from '../logger.js';
import type { RuleUser } from '../role-expressions.js';
import { collectionRule } from '../rules.js';
import { SseSink } from '../sse.js';
import { ChangeStreamsUnsupportedError, isUnsupported } from './change-stream-errors.js';
import { CollectionFeed } from './collection-feed.js';
import { parseWatchRequest } from './request.js';
import {
  type Access,
  defaultWatchOptions,
  type FeedHost,
  type Subscriber,
  unavailable,
  type WatchConfig,
  type WatchOptions,
  type WatchStats,
} from './types.js';

/**
 * All watch subscriptions of this backend instance. Emits 'subscribed' and 'unsubscribed'
 * (with the subscriber count) so tests and benchmarks can wait for them.
 */
export class WatchHub extends EventEmitter implements FeedHost {
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
  async serve(
    request: FastifyRequest,
    reply: FastifyReply,
    userId: string,
    expSeconds: number,
    /** Who asks, for rules whose roles depend on the user; by default only the id is known. */
    user: RuleUser = { id: userId, customData: {} },
  ) {
    const { database, collection, access, matches } = parseWatchRequest(
      request.query,
      this.config,
      (db, coll) => this.accessFor(db, coll, user),
    );

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

  private accessFor(database: string, collection: string, user: RuleUser): Access {
    return collectionRule(
      this.config.customData,
      this.config.openCollections,
      database,
      collection,
      this.config.collectionRules,
      user,
    );
  }

  private feedFor(database: string, collection: string, access: Access): CollectionFeed {
    // Users whose roles differ on one collection (imported rules) see it differently: one feed each.
    // The usual rule (the owner rule on custom data, else open) keeps the plain key, which the
    // own custom data stream and realm-web's watch() of that collection share.
    const ns = `${database}.${collection}`;
    const cd = this.config.customData;
    const usual = cd.enabled && ns === `${cd.database}.${cd.collection}` ? cd.userIdField : undefined;
    const plain =
      !access.fields &&
      access.insert === undefined &&
      access.delete === undefined &&
      (access.kind === 'owner' ? access.field : undefined) === usual;
    const key = plain ? ns : `${ns}#${JSON.stringify(access)}`;
    let feed = this.feeds.get(key);
    if (!feed) {
      feed = new CollectionFeed(this, this.mongo.db(database).collection(collection), key, access);
      this.feeds.set(key, feed);
    }
    return feed;
  }
}
