export { computeStaleness, type Staleness, type StalenessState } from '../model/index.js';
export * from './client.js';
export * from './ports.js';
export { HttpError, NetworkError } from './transport.js';
