export * from './documents.js';
export * from './edits.js';
export * from './ejson.js';
export * from './errors.js';
export * from './outbox.js';
export * from './paths.js';
export * from './watch.js';
export * from './wire.js';
