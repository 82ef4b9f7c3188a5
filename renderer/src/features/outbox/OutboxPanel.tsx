import type { AppState } from '../../../../sync/app-api/contract.js';
import { formatDuration, formatValue } from '../../format.js';

export interface OutboxPanelProps {
  outbox: AppState['outbox'];
  /** The engine's counts (the same the status bar shows); rows are the details. */
  counts: Pick<AppState['status'], 'pendingCount' | 'rejectedCount'>;
  now: number;
  /** The session expired: nothing is sent until the same user logs in again. */
  paused?: boolean;
  onRetry(seq?: number): void;
  onDiscard(seq: number): void;
}

export function OutboxPanel({ outbox, counts, now, paused = false, onRetry, onDiscard }: OutboxPanelProps) {
  const lastError = [...outbox].reverse().find((e) => e.lastError)?.lastError ?? null;
  return (
    <section className="panel" aria-labelledby="outbox-title">
      <header className="panel__header">
        <h2 id="outbox-title">Outbox</h2>
        <span className="badge" data-testid="outbox-count">
          {counts.pendingCount} pending
          {counts.rejectedCount > 0 && ` · ${counts.rejectedCount} refused`}
        </span>
        <button type="button" onClick={() => onRetry()} disabled={outbox.length === 0}>
          Retry now
        </button>
      </header>
      {paused && outbox.length > 0 && (
        <p className="panel__error">Paused: log in again to send these edits. They are kept.</p>
      )}
      {lastError && <p className="panel__error">Last error: {lastError}</p>}
      {outbox.length === 0 ? (
        <p className="muted">Nothing waiting to sync.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">Field</th>
              <th scope="col">Edit</th>
              <th scope="col">Age</th>
              <th scope="col">Tries</th>
              <th scope="col">State</th>
              <th scope="col">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {outbox.map((e) => (
              <tr key={e.seq} data-testid="outbox-row">
                <td>{e.path}</td>
                <td>
                  {e.op === 'unset'
                    ? 'remove'
                    : e.op === 'inc'
                      ? `+${formatValue(e.value)}`
                      : formatValue(e.value)}
                </td>
                <td>{formatDuration(Math.max(0, now - e.createdAt))}</td>
                <td>{e.attempts}</td>
                <td>
                  {e.rejectedReason
                    ? `rejected: ${e.rejectedReason}`
                    : paused
                      ? 'paused'
                      : e.inFlight
                        ? 'sending'
                        : 'queued'}
                </td>
                <td>
                  <button
                    type="button"
                    onClick={() => onDiscard(e.seq)}
                    aria-label={`Discard edit of ${e.path}`}
                  >
                    Discard
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
