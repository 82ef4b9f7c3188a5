/** Opens what the engine needs from the machine (the only part of sync/client using node:*). */
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { FetchLike, SecretStore } from './ports.js';
import { plainSecretStore } from './ports.js';
import { LocalStore } from './sqlite/local-store.js';
import { Transport } from './transport.js';

export interface OpenedParts {
  store: LocalStore;
  transport: Transport;
  /** Stable per installation, so that each device has its own outbox sequence. */
  deviceId: string;
}

export function openParts(options: {
  baseUrl: string;
  appId: string;
  dataDir: string;
  fetch: FetchLike;
  secretStore?: SecretStore;
  sqliteNativeBinding?: string;
}): OpenedParts {
  mkdirSync(options.dataDir, { recursive: true });
  const store = new LocalStore(
    join(options.dataDir, 'customdata-desk.sqlite'),
    options.secretStore ?? plainSecretStore,
    options.sqliteNativeBinding,
  );
  let deviceId = store.getMeta('device_id');
  if (!deviceId) {
    deviceId = randomBytes(12).toString('hex');
    store.setMeta('device_id', deviceId);
  }
  return { store, transport: new Transport(options.baseUrl, options.appId, options.fetch), deviceId };
}
