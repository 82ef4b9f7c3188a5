export * from './ejson.js';
export * from './errors.js';
export * from './paths.js';
export * from './wire.js';
export * from './outbox.js';
