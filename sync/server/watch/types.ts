/** Shapes shared by the watch parts: options, configuration, a subscriber, the feed's host. */
import type { Document } from 'mongodb';
import { KEEPALIVE_MS } from '../../model/index.js';
import { AppError, ErrorCode } from '../../protocol/index.js';
import type { Logger } from '../logger.js';
import type { CollectionRule, CollectionRules } from '../rules.js';
import type { SseSink } from '../sse.js';

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
  // The clients' silence timeout and "live" window are derived from it (sync/model/keep-alive.ts).
  keepAliveMs: KEEPALIVE_MS,
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
  collectionRules?: CollectionRules;
  /** Nesting depth of a watch filter (limits.ts maxDepth, as for every other client query). */
  maxDepth?: number;
}

/** The data API's collection rule (rules.ts collectionRule): owner on custom data, open list, else denied. */
export type Access = CollectionRule;

export type Predicate = (event: Document) => boolean;

export interface Subscriber {
  userId: string;
  expiresAt: number;
  sink: SseSink;
  matches: Predicate;
  /** The feed the subscriber listens to. */
  feed: { remove(sub: Subscriber): boolean };
}

export interface WatchStats {
  feeds: number;
  openChangeStreams: number;
  subscribers: number;
  droppedTooSlow: number;
}

/** What a feed needs of the hub that owns it: a narrow surface, no back-reference. */
export interface FeedHost {
  readonly options: WatchOptions;
  readonly logger: Logger;
  now(): number;
  /** Ends a subscriber's stream with an `event: error` of that code. */
  drop(sub: Subscriber, message: string, code: string): void;
  /** Ends a subscriber that reads too slowly. */
  dropSlow(sub: Subscriber): void;
  /** The database has no change streams after all (learned by a feed). */
  markUnsupported(error: unknown): void;
  emit(event: string, ...args: unknown[]): boolean;
}

export function unavailable(message: string): AppError {
  return new AppError(503, ErrorCode.ServiceUnavailable, message);
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
