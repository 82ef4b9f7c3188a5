/**
 * The one place that decides what a thrown error means for the caller:
 *   - `transient`: may succeed if sent again (MongoDB unreachable, connection closed or reset,
 *     timeouts, not primary / failover, shutdown in progress): 503 ServiceUnavailable, and the
 *     client keeps the request and retries with backoff;
 *   - `request`: the request itself can never succeed (a MongoDB verdict on the data: bad value,
 *     conflicting paths, type mismatch, duplicate key...): 400, the client sets it aside;
 *   - `internal`: a bug or anything unknown: 500 (logged), which clients also retry.
 * Used by the functions runner, the data API, auth and admin routes (through the app's error handler).
 */
import { MongoError, MongoServerError } from 'mongodb';
import { AppError, ErrorCode } from '../protocol/index.js';
import { isTimeLimitError, timeLimitError } from './limits.js';

export type ErrorClass = 'transient' | 'request' | 'internal';

/** Server error codes that mean "not now" (replication state, shutdown, timeouts, network). */
const TRANSIENT_CODES = new Set([
  6, // HostUnreachable
  7, // HostNotFound
  24, // LockTimeout
  46, // LockBusy
  50, // MaxTimeMSExpired
  64, // WriteConcernFailed
  89, // NetworkTimeout
  91, // ShutdownInProgress
  112, // WriteConflict
  117, // ConflictingOperationInProgress
  189, // PrimarySteppedDown
  202, // NetworkInterfaceExceededTimeLimit
  262, // ExceededTimeLimit
  9001, // SocketException
  10107, // NotWritablePrimary
  11600, // InterruptedAtShutdown
  11602, // InterruptedDueToReplStateChange
  13435, // NotPrimaryNoSecondaryOk
  13436, // NotPrimaryOrSecondary
]);

/** Write errors that are the data's fault: the same batch gets the same answer every time. */
export const PERMANENT_WRITE_CODES = new Set([
  2, // BadValue
  9, // FailedToParse
  14, // TypeMismatch
  28, // PathNotViable
  40, // ConflictingUpdateOperators
  52, // DollarPrefixedFieldName
  66, // ImmutableField
  10334, // BSONObjectTooLarge
  11000, // DuplicateKey
  17419, // document too large after update
  17420,
]);

/** Driver and socket failures recognised by name or message when they carry no code. */
const TRANSIENT_NAMES =
  /^Mongo(Network|NetworkTimeout|ServerSelection|TopologyClosed|PoolClosed|WaitQueueTimeout|ServerClosed)Error$/;
const TRANSIENT_MESSAGE =
  /connection .*closed|ECONNRESET|ECONNREFUSED|ETIMEDOUT|EPIPE|socket hang up|not (writable )?primary|timed out/i;

export function classifyError(error: unknown): ErrorClass {
  if (error instanceof AppError) return error.status >= 500 ? 'transient' : 'request';
  if (typeof error !== 'object' || error === null) return 'internal';
  const e = error as { name?: unknown; code?: unknown; message?: unknown };
  if (error instanceof MongoError) {
    if (error.hasErrorLabel('RetryableWriteError') || error.hasErrorLabel('TransientTransactionError'))
      return 'transient';
  }
  const code = typeof e.code === 'number' ? e.code : Number.NaN;
  if (TRANSIENT_CODES.has(code)) return 'transient';
  if (typeof e.name === 'string' && TRANSIENT_NAMES.test(e.name)) return 'transient';
  // Retryable server errors carry a label or a code above; any other server verdict is about the request.
  if (error instanceof MongoServerError) return 'request';
  if (typeof e.code === 'string' && /^E(CONNRESET|CONNREFUSED|TIMEDOUT|PIPE|HOSTUNREACH)$/.test(e.code))
    return 'transient';
  if (typeof e.message === 'string' && TRANSIENT_MESSAGE.test(e.message)) return 'transient';
  return 'internal';
}

/** The AppError to answer with for a database failure (`request` errors get `requestCode`), or undefined for an internal one. */
export function databaseAppError(
  error: unknown,
  requestCode: ErrorCode = ErrorCode.MongoDBError,
  requestPrefix = '',
): AppError | undefined {
  if (error instanceof AppError) return error;
  // Cut off by maxTimeMS: transient, with a code of its own (the engine retries its batch).
  if (isTimeLimitError(error)) return timeLimitError();
  const message = (error as Error)?.message ?? String(error);
  switch (classifyError(error)) {
    case 'transient':
      return new AppError(503, ErrorCode.ServiceUnavailable, `database unavailable, retry later: ${message}`);
    case 'request':
      return error instanceof MongoError
        ? new AppError(400, requestCode, `${requestPrefix}${message}`)
        : undefined;
    default:
      return undefined;
  }
}
