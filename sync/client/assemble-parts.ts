/**
 * Builds the engine's parts and wires them with small functions, so that no part imports
 * another: the facade (client.ts) only calls them.
 */
import { APPLY_EDITS_FUNCTION, type EditBatchResult } from '../protocol/index.js';
import { detectConflicts } from './conflicts.js';
import { ConnectionLoop } from './connection.js';
import { encodeValue } from './edits.js';
import { errorMessage } from './engine-errors.js';
import { LiveLink } from './live-link.js';
import { openParts } from './open.js';
import { Outbox } from './outbox.js';
import * as ports from './ports.js';
import { ServerClock } from './server-clock.js';
import { Session } from './session.js';
import type { LocalStore } from './sqlite/local-store.js';
import type { StatusInput } from './status-value.js';
import type { Transport } from './transport.js';

export interface ClientOptions {
  /** Backend origin, e.g. http://127.0.0.1:8787. */
  baseUrl: string;
  appId: string;
  /** Directory of the local database (created if missing). */
  dataDir: string;
  fetch?: ports.FetchLike;
  clock?: ports.Clock;
  timers?: ports.Timers;
  /** Encrypts tokens at rest. Defaults to plain text: only acceptable in tests. */
  secretStore?: ports.SecretStore;
  logger?: ports.ClientLogger;
  /** In [0, 1): jitter for reconnect backoff. */
  random?: () => number;
  /** better-sqlite3 native binding for a non-Node ABI (Electron main passes its rebuilt copy). */
  sqliteNativeBinding?: string;
  /**
   * false: no live push. Otherwise the engine subscribes to the server's own custom data stream,
   * wherever the server keeps custom data (the server resolves it: no target to configure).
   */
  live?: boolean;
}

export interface Parts {
  store: LocalStore;
  transport: Transport;
  logger: ports.ClientLogger;
  time: ServerClock;
  connection: ConnectionLoop;
  session: Session;
  outbox: Outbox;
  live: LiveLink | undefined;
}

/** What the facade hands the parts: its status emitter and its reconnect step. */
export interface FacadeHooks {
  signal: AbortSignal;
  changed: () => void;
  onReconnect: () => Promise<void>;
}

export function assemble(options: ClientOptions, hooks: FacadeHooks): Parts {
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  const fetchImpl = options.fetch ?? ((input, init) => fetch(input, init));
  const { store, transport, deviceId } = openParts({ ...options, baseUrl, fetch: fetchImpl });
  const clock = options.clock ?? ports.systemClock;
  const timers = options.timers ?? ports.systemTimers;
  const random = options.random ?? Math.random;
  const logger = options.logger ?? ports.silentLogger;
  const log = (message: string, fields?: Record<string, unknown>) => logger.info(message, fields);
  const { signal, changed } = hooks;
  const time = new ServerClock(clock);
  const now = () => time.now();
  // Each server time sample (Date header, token iat) may move the renewal, which is in server time.
  const observeServerTime = (serverMs: number) => {
    if (time.observe(serverMs)) session.scheduleRenewal();
  };
  transport.onServerTime = observeServerTime;
  const hasEditsToSend = () => session.canSend && outbox.pendingCount(session.userId as string) > 0;
  const canSync = () => session.canSend && connection.usable;
  const succeeded = () => {
    connection.resetBackoff();
    connection.lastError = null;
  };

  const connection: ConnectionLoop = new ConnectionLoop({
    ...{ clock, timers, random, signal, changed, log, hasEditsToSend },
    probe: () => transport.probe(),
    forcedOffline: () => transport.forcedOffline,
    canSend: () => session.canSend,
    flush: () => outbox.flush(),
    onReconnect: hooks.onReconnect,
    onOnline: () => session.scheduleRenewal(),
    onOffline: () => session.cancelRenewal(),
  });

  const session: Session = new Session({
    ...{ store, timers, now, signal, changed, log },
    refresh: (token) => connection.online(() => transport.refresh(token)),
    isOnline: () => connection.state === 'online',
    failing: (error, message) => connection.serverFailing(error, message),
    renewed: succeeded,
    expired: () => {
      connection.lastError = 'session expired: log in again';
    },
    issuedAt: observeServerTime,
  });

  const outbox: Outbox = new Outbox({
    ...{ store, now, signal, changed, log, canSync, succeeded },
    userId: () => session.userId,
    snapshot: () => session.snapshot,
    conflictsOf: detectConflicts,
    push: async (userId, batch) =>
      (await session.authed(userId, (token) =>
        connection.online(() =>
          transport.callFunction(token, APPLY_EDITS_FUNCTION, [{ deviceId, ...batch }]),
        ),
      )) as EditBatchResult,
    confirmed: (userId, data, at) => {
      const cache = session.cache;
      if (cache?.userId !== userId) return;
      session.saveSnapshot({ ...cache, dataEJSON: encodeValue(data), fetchedAt: at });
      store.dropAcked(userId, store.maxAckedSeq(userId));
    },
    reload: () => session.load(),
    renewAfterAck: async () => {
      // A renewal under way may have been sent before the acknowledgement: renew after it.
      await session.inFlight?.catch((error: unknown) =>
        log('renewal under way failed', { error: errorMessage(error) }),
      );
      if (canSync()) await session.renewQuietly();
    },
    failing: (error) => connection.serverFailing(error, error.message),
    setError: (message) => {
      connection.lastError = message;
    },
  });

  const live =
    options.live === false
      ? undefined
      : new LiveLink({
          ...{ baseUrl, appId: options.appId, fetch: fetchImpl, timers, random, log, now, changed },
          token: (userId) =>
            session.row?.userId === userId ? (session.row.accessToken ?? undefined) : undefined,
          renew: () => session.renew(),
          renewQuietly: () => session.renewQuietly(),
          pushed: (userId, change, at) => {
            const cache = session.cache;
            if (userId !== session.userId || cache?.userId !== userId) return false;
            const dataEJSON = encodeValue(change.document ?? {});
            session.saveSnapshot({ ...cache, dataEJSON, fetchedAt: at, source: 'push' });
            session.load();
            return true;
          },
          confirmed: (userId, at) => {
            const cache = session.cache;
            if (cache?.userId !== userId) return;
            store.saveCustomData({ ...cache, fetchedAt: at });
            session.load();
          },
        });

  return { store, transport, logger, time, connection, session, outbox, live };
}

/** What the status value is computed from, read from the parts now. */
export function statusInputOf(parts: Parts): StatusInput {
  const { session, connection, store, live, time } = parts;
  const { userId } = session;
  return {
    now: time.now(),
    userId,
    connection: connection.state,
    syncing: parts.outbox.syncing,
    counts: userId ? store.counts(userId) : { pending: 0, rejected: 0, conflicts: 0 },
    lastError: connection.lastError,
    retryAt: connection.retryAt,
    session: session.status,
    sessionRow: session.row,
    cache: session.cache,
    nextRenewalAt: session.nextRenewalAt,
    liveState: live?.state ?? 'idle',
    liveConfirmedAt: live?.confirmedAt ?? null,
    clockSkewMs: time.skewMs,
    serverOffsetMs: time.offsetMs,
    forcedOffline: parts.transport.forcedOffline,
  };
}
