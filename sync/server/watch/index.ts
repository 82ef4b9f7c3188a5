/**
 * `collection.watch()`, one entry point: the hub (subscriptions of this instance), its feeds
 * (one change stream per collection), request checks and event projection.
 */
export { CollectionFeed } from './collection-feed.js';
export { WatchHub } from './hub.js';
export { defaultWatchOptions, type WatchConfig, type WatchOptions, type WatchStats } from './types.js';
