/**
 * The model floor: plain types, rules and pure functions every side shares (server, engine, host,
 * UI contract, renderer). No zod, no bson, no I/O, and no import from outside this folder.
 */
export * from './backoff.js';
export * from './client-status.js';
export * from './defaults.js';
export * from './edit-ops.js';
export * from './field-path.js';
export * from './keep-alive.js';
export * from './staleness.js';
