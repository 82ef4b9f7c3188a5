/** The engine's one status value, computed (pure) from what its parts know. */
import {
  type ClientStatus,
  type Connection,
  type SessionStatus,
  type Staleness,
  stalenessAt,
} from '../model/index.js';
import type { LiveState } from './live.js';
import type { CustomDataRow, SessionRow } from './sqlite/local-store.js';

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
  return buildStatus(input).staleness;
}

export function buildStatus(input: StatusInput): ClientStatus {
  const { cache, sessionRow } = input;
  const status: Omit<ClientStatus, 'staleness'> = {
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
    live: {
      state:
        input.liveState === 'idle' ? 'off' : input.liveState === 'waiting' ? 'reconnecting' : input.liveState,
      confirmedAt: input.liveConfirmedAt,
    },
    serverTimeOffsetMs: input.clockSkewMs + input.serverOffsetMs,
    deviceClockOffMs: -input.serverOffsetMs,
    tester: { offline: input.forcedOffline, clockSkewMs: input.clockSkewMs },
  };
  // The UI's function at the emit time: `now` is server time, `stalenessAt` takes host time.
  const hostNow = input.now - status.serverTimeOffsetMs;
  return { ...status, staleness: stalenessAt(status, hostNow) };
}
