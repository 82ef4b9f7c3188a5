export * from './client.js';
export * from './ports.js';
export { computeStaleness, type Staleness, type StalenessState } from './staleness.js';
export { HttpError, NetworkError } from './transport.js';
