/** Rows of the local store, and how SQLite's columns map to them. */
import type { EditOpName } from '../../protocol/index.js';

export type { EditOpName };

export type SessionState = 'active' | 'expired' | 'logged-out';

export interface SessionRow {
  userId: string;
  provider: string;
  email: string | null;
  accessToken: string | null;
  refreshToken: string | null;
  state: SessionState;
  updatedAt: number;
}

export interface CustomDataRow {
  userId: string;
  dataEJSON: string;
  issuedAt: number;
  expiresAt: number;
  fetchedAt: number;
  source: 'login' | 'refresh' | 'push';
}

export interface EditRow {
  seq: number;
  userId: string;
  path: string;
  op: EditOpName;
  /** Canonical EJSON of the value (null for unset). */
  valueEJSON: string | null;
  baseExists: boolean;
  baseEJSON: string | null;
  createdAt: number;
  attempts: number;
  lastError: string | null;
  batchSeq: number | null;
  rejectedReason: string | null;
  /** Applied by the server; kept until a renewed token's snapshot includes it. */
  acked: boolean;
}

export interface ConflictRow {
  id: number;
  userId: string;
  path: string;
  baseExists: boolean;
  baseEJSON: string | null;
  serverExists: boolean;
  serverEJSON: string | null;
  mineOp: EditOpName;
  mineEJSON: string | null;
  detectedAt: number;
}

export type NewConflict = Omit<ConflictRow, 'id'>;

export function toEdit(r: Record<string, unknown>): EditRow {
  return {
    seq: r.seq as number,
    userId: r.user_id as string,
    path: r.path as string,
    op: r.op as EditOpName,
    valueEJSON: r.value_ejson as string | null,
    baseExists: r.base_exists === 1,
    baseEJSON: r.base_ejson as string | null,
    createdAt: r.created_at as number,
    attempts: r.attempts as number,
    lastError: r.last_error as string | null,
    batchSeq: r.batch_seq as number | null,
    rejectedReason: r.rejected_reason as string | null,
    acked: r.acked === 1,
  };
}

export function toConflictRow(r: Record<string, unknown>): ConflictRow {
  return {
    id: r.id as number,
    userId: r.user_id as string,
    path: r.path as string,
    baseExists: r.base_exists === 1,
    baseEJSON: r.base_ejson as string | null,
    serverExists: r.server_exists === 1,
    serverEJSON: r.server_ejson as string | null,
    mineOp: r.mine_op as EditOpName,
    mineEJSON: r.mine_ejson as string | null,
    detectedAt: r.detected_at as number,
  };
}
