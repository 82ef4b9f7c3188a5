/**
 * What the engine tells its UI about sync: the one status value, outbox and conflict entries.
 * Plain data (JSON across the UI contract); imports nothing outside the model.
 */
import type { EditOpName, FieldBefore } from './edit-ops.js';
import type { Staleness } from './staleness.js';

/**
 * - `connecting`: not heard from the server yet since start;
 * - `online`: the last request reached the server and succeeded;
 * - `offline`: no network (the host says so, or the tester's switch);
 * - `unreachable`: the network is up but requests do not reach the server (refused, timed out, 502–504);
 * - `failing`: the server answers with errors (5xx, a failed renewal) — retried with backoff.
 */
export type Connection = 'connecting' | 'online' | 'offline' | 'unreachable' | 'failing';
export type SessionStatus = 'none' | 'active' | 'expired';

export interface ClientUser {
  id: string;
  provider: string;
  email: string | null;
}

/** Everything the UI shows about sync, as one value, emitted on every change. */
export interface ClientStatus {
  connection: Connection;
  syncing: boolean;
  /** The one set of counts, used everywhere: pending = waiting or being sent (not refused). */
  pendingCount: number;
  rejectedCount: number;
  conflictCount: number;
  /** When custom data was last confirmed by the server (server time: the token's `iat`). */
  lastSyncedAt: number | null;
  lastError: string | null;
  /** When the next automatic retry happens (host clock, ms), while not online. */
  retryAt: number | null;
  session: SessionStatus;
  user: ClientUser | null;
  /** Token times (server time), for `stalenessAt`. */
  token: { issuedAt: number; expiresAt: number; nextRenewalAt: number | null } | null;
  /**
   * `stalenessAt(status, t)` at the emit time `t`: the same function a UI calls on its clock tick
   * (the state changes with time alone, e.g. fresh → aging, so a UI must not keep this one).
   */
  staleness: Staleness;
  /**
   * The live subscription to the user's document (push): `open` while the stream is connected;
   * `confirmedAt` (server time) is its last keep-alive or event after the document was re-read.
   * `unsupported`: the server has no change streams (data refreshes at token renewal only).
   */
  live: { state: 'off' | 'connecting' | 'open' | 'reconnecting' | 'unsupported'; confirmedAt: number | null };
  /**
   * Server time minus the host clock (`Date.now()`), as measured from responses' `Date` header
   * and tokens' `iat`. The device clock is off when this is large.
   */
  serverTimeOffsetMs: number;
  /** How far the device clock (with the tester's skew) is ahead of the server's (negative: behind). */
  deviceClockOffMs: number;
  tester: { offline: boolean; clockSkewMs: number };
}

export interface OutboxEntry {
  seq: number;
  path: string;
  op: EditOpName;
  value: unknown;
  createdAt: number;
  attempts: number;
  lastError: string | null;
  inFlight: boolean;
  rejectedReason: string | null;
}

export interface Conflict {
  id: number;
  path: string;
  base: FieldBefore;
  server: FieldBefore;
  mine: { op: EditOpName; value: unknown };
  detectedAt: number;
}
