/**
 * Session view, one entry point: this instance's copy of the sessions collection (by
 * refresh-token hash), kept current by a change stream (session-feed.ts), so that a refresh reads only
 * the custom data. It answers only while the stream has confirmed, within `maxLagMs`, that
 * nothing newer happened: a session revoked, logged out or deleted anywhere is refused here at
 * most `maxLagMs` after that was acknowledged (docs/server.md "Refresh: one database read").
 * Otherwise — stream down, lagging, or no change streams on this deployment — every lookup reads
 * the database, as before. Sessions ended through this instance leave the view at once.
 */
import type { Db, Document, MongoClient } from 'mongodb';
import { type CachedSession, SessionCache } from './cache.js';
import { type FeedLogger, type FeedState, SessionFeed } from './session-feed.js';

export interface SessionViewOptions {
  /** false: every refresh reads its session from the database (as without change streams). */
  enabled: boolean;
  /** The longest a revocation elsewhere may go unseen here; past it the database answers. */
  maxLagMs: number;
  /** How long the change stream's `getMore` waits when nothing changes (well under maxLagMs). */
  awaitMs: number;
  /** Sessions held at most (least recently used out first). */
  maxSessions: number;
}

export const DEFAULT_SESSION_VIEW: SessionViewOptions = {
  enabled: true,
  maxLagMs: 750,
  awaitMs: 100,
  maxSessions: 100_000,
};

export interface SessionViewStats {
  state: FeedState | 'disabled';
  /** Lookups answered by the view, read from the database on a miss, and read because it was not current. */
  hits: number;
  misses: number;
  fallbacks: number;
  sessions: number;
  /** Milliseconds since the stream last confirmed (null: not current). */
  lagMs: number | null;
}

export class SessionView<T extends CachedSession = CachedSession> {
  private readonly cache: SessionCache<T>;
  private readonly feed: SessionFeed | undefined;
  private readonly counts = { hits: 0, misses: 0, fallbacks: 0 };

  constructor(
    client: MongoClient,
    /** The app database, as the driver gives it (not wrapped: the feed's getMore sets its own wait). */
    db: Db,
    collection: string,
    private readonly options: SessionViewOptions,
    logger: FeedLogger,
    private readonly clock: () => number = () => performance.now(),
  ) {
    this.cache = new SessionCache<T>(options.maxSessions);
    if (!options.enabled) return;
    this.feed = new SessionFeed(
      client,
      db,
      collection,
      { reset: () => this.cache.clear(), apply: (event) => this.apply(event) },
      {
        awaitMs: options.awaitMs,
        stallMs: Math.max(10_000, options.awaitMs * 20),
        retryMs: 250,
        maxRetryMs: 10_000,
        clock,
      },
      logger,
    );
  }

  start(): void {
    this.feed?.start();
  }

  close(): Promise<void> {
    return this.feed?.close() ?? Promise.resolve();
  }

  /** True while every change committed more than `maxLagMs` ago is known to the view. */
  get current(): boolean {
    const feed = this.feed;
    return feed?.state === 'open' && this.clock() - feed.confirmedAt <= this.options.maxLagMs;
  }

  /**
   * The session with this hash: from the view when it is current, else from `read` (the
   * database), which is remembered unless the stream restarted or a session ended meanwhile.
   */
  async find(hash: string, read: () => Promise<T | null>): Promise<T | null> {
    const feed = this.feed;
    if (!feed || !this.current) {
      this.counts.fallbacks += 1;
      return read();
    }
    const held = this.cache.get(hash);
    if (held) {
      this.counts.hits += 1;
      return held;
    }
    this.counts.misses += 1;
    const epoch = feed.epoch;
    const generation = this.cache.generation;
    const session = await read();
    if (session && feed.state === 'open' && feed.epoch === epoch && this.cache.generation === generation)
      this.cache.put(session);
    return session;
  }

  /** This instance deleted the session (logout, expiry): gone from the view now. */
  ended(hash: string): void {
    this.cache.delete(hash);
  }

  /** This instance deleted every session of the user (revocation, user deletion). */
  endedForUser(userId: string): void {
    this.cache.deleteUser(userId);
  }

  stats(): SessionViewStats {
    const feed = this.feed;
    return {
      state: feed ? feed.state : 'disabled',
      ...this.counts,
      sessions: this.cache.size,
      lagMs: this.current && feed ? Math.round(this.clock() - feed.confirmedAt) : null,
    };
  }

  /** One change of the sessions collection; false for what the view cannot follow (reopen). */
  private apply(event: Document): boolean {
    const id = (event.documentKey as { _id?: unknown } | undefined)?._id;
    switch (event.operationType) {
      case 'insert':
        if (isSession(event.fullDocument)) this.cache.put(event.fullDocument as T);
        return true;
      case 'delete':
      case 'update':
      case 'replace':
        if (typeof id !== 'string') return false;
        this.cache.delete(id);
        return true;
      default:
        // invalidate, drop, rename, dropDatabase and anything unknown.
        return false;
    }
  }
}

function isSession(doc: unknown): doc is CachedSession {
  const d = doc as Partial<CachedSession> | null;
  return (
    typeof d?._id === 'string' &&
    typeof d.userId === 'string' &&
    typeof d.deviceId === 'string' &&
    d.expiresAt instanceof Date
  );
}
