/** The engine's one status value, computed (pure) from what its parts know. */
import {
  type ClientStatus,
  type Connection,
  computeStaleness,
  type SessionStatus,
  type Staleness,
} from '../app-api/status.js';
import type { LiveState } from './live.js';
import type { CustomDataRow, SessionRow } from './sqlite/store.js';

export interface StatusInput {
  /** Server time now. */
  now: number;
  userId: string | null;
  connection: Connection;
  syncing: boolean;
  counts: { pending: number; rejected: number; conflicts: number };
  lastError: string | null;
  retryAt: number | null;
  session: SessionStatus;
  sessionRow: SessionRow | undefined;
  cache: CustomDataRow | undefined;
  nextRenewalAt: number | null;
  liveState: LiveState;
  liveConfirmedAt: number | null;
  clockSkewMs: number;
  serverOffsetMs: number;
  forcedOffline: boolean;
}

export function stalenessOf(input: StatusInput): Staleness {
  const cache = input.userId ? input.cache : undefined;
  return computeStaleness({
    now: input.now,
    issuedAt: cache?.issuedAt,
    confirmedAt: cache?.fetchedAt,
    expiresAt: cache?.expiresAt,
    connection: input.connection,
    sessionExpired: input.sessionRow?.state === 'expired',
    nextRenewalAt: input.nextRenewalAt ?? undefined,
    liveConfirmedAt: input.liveState === 'open' ? (input.liveConfirmedAt ?? undefined) : undefined,
  });
}

export function buildStatus(input: StatusInput): ClientStatus {
  const { cache, sessionRow } = input;
  return {
    connection: input.connection,
    syncing: input.syncing,
    pendingCount: input.counts.pending,
    rejectedCount: input.counts.rejected,
    conflictCount: input.counts.conflicts,
    lastSyncedAt: cache?.fetchedAt ?? null,
    lastError: input.lastError,
    retryAt: input.connection === 'online' ? null : input.retryAt,
    session: input.session,
    user:
      sessionRow && input.session !== 'none'
        ? { id: sessionRow.userId, provider: sessionRow.provider, email: sessionRow.email }
        : null,
    token: cache
      ? { issuedAt: cache.issuedAt, expiresAt: cache.expiresAt, nextRenewalAt: input.nextRenewalAt }
      : null,
    staleness: stalenessOf(input),
    live: {
      state:
        input.liveState === 'idle' ? 'off' : input.liveState === 'waiting' ? 'reconnecting' : input.liveState,
      confirmedAt: input.liveConfirmedAt,
    },
    serverTimeOffsetMs: input.clockSkewMs + input.serverOffsetMs,
    deviceClockOffMs: -input.serverOffsetMs,
    tester: { offline: input.forcedOffline, clockSkewMs: input.clockSkewMs },
  };
}
