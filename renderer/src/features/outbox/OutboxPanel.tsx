import { useState } from 'react';
import type { AppState } from '../../../../sync/app-api/contract.js';
import { formatDuration } from '../../format.js';
import { describeValue } from '../../typed-value.js';
import { blockerOf, cannotSendText } from '../status/describe.js';
import './outbox.css';

type Status = AppState['status'];
type Outbox = AppState['outbox'];

/** What a Retry the user pressed is waiting for: the outbox then, to tell "refused again" apart. */
interface RetryAttempt {
  maxSeq: number;
  paths: Set<string>;
}

/**
 * Why the last Retry did not (or could not) send, from the state now; null when it went through.
 * Retry re-queues a refused edit under a new sequence number: a refusal newer than the attempt is "again".
 */
export function retryNote(
  attempt: RetryAttempt | null,
  outbox: Outbox,
  status: Partial<Pick<Status, 'connection' | 'lastError' | 'tester' | 'session'>>,
  paused: boolean,
): string | null {
  if (!attempt || outbox.length === 0) return null;
  if (paused) return cannotSendText({ session: 'expired' });
  const refused = outbox.filter(
    (e) => e.seq > attempt.maxSeq && e.rejectedReason && attempt.paths.has(e.path),
  );
  if (refused.length > 0)
    return `Refused again by the server: ${refused.map((e) => `${e.path}: ${e.rejectedReason}`).join('; ')}. Change the value or discard the edit.`;
  return cannotSendText(status);
}

export interface OutboxPanelProps {
  outbox: AppState['outbox'];
  /** The engine's counts (the same the status bar shows); rows are the details. */
  counts: Pick<Status, 'pendingCount' | 'rejectedCount'> &
    Partial<Pick<Status, 'connection' | 'lastError' | 'tester'>>;
  now: number;
  /** The session expired: nothing is sent until the same user logs in again. */
  paused?: boolean;
  onRetry(seq?: number): void;
  onDiscard(seq: number): void;
}

export function OutboxPanel({ outbox, counts, now, paused = false, onRetry, onDiscard }: OutboxPanelProps) {
  // Being offline (the tester's switch included) is a state its banner explains, not an error.
  const blocker = blockerOf(counts);
  const offline = blocker === 'offline' || blocker === 'tester-offline';
  const lastError = offline ? null : ([...outbox].reverse().find((e) => e.lastError)?.lastError ?? null);
  const [attempt, setAttempt] = useState<RetryAttempt | null>(null);
  const note = retryNote(attempt, outbox, counts, paused);
  const retry = (seq?: number) => {
    const entries = seq === undefined ? outbox : outbox.filter((e) => e.seq === seq);
    setAttempt({
      maxSeq: Math.max(0, ...outbox.map((e) => e.seq)),
      paths: new Set(entries.map((e) => e.path)),
    });
    if (seq === undefined) onRetry();
    else onRetry(seq);
  };
  return (
    <section className="panel" aria-labelledby="outbox-title">
      <header className="panel__header">
        <h2 id="outbox-title">Outbox</h2>
        <span className="badge" data-testid="outbox-count">
          {counts.pendingCount} pending
          {counts.rejectedCount > 0 && ` · ${counts.rejectedCount} refused`}
        </span>
        <button
          type="button"
          onClick={() => retry()}
          disabled={outbox.length === 0}
          aria-describedby={note ? 'outbox-retry-note' : undefined}
        >
          Retry now
        </button>
      </header>
      <p id="outbox-retry-note" className="panel__error" role="status" hidden={!note}>
        {note}
      </p>
      {paused && outbox.length > 0 && (
        <p className="panel__error">Paused: log in again to send these edits. They are kept.</p>
      )}
      {lastError && !note && <p className="panel__error">Last error: {lastError}</p>}
      {outbox.length === 0 ? (
        <p className="muted">Nothing waiting to sync.</p>
      ) : (
        <table className="outbox">
          <thead>
            <tr>
              <th scope="col">Field</th>
              <th scope="col">Edit</th>
              <th scope="col">Age</th>
              <th scope="col">Tries</th>
              <th scope="col">State</th>
            </tr>
          </thead>
          {/* One tbody per edit: its facts, then the refusal reason and its actions (fits a narrow panel). */}
          {outbox.map((e) => (
            <tbody key={e.seq} className="outbox__entry" data-testid="outbox-row">
              <tr>
                <td title={e.path}>{e.path}</td>
                <td title={e.op === 'set' ? describeValue(e.value) : undefined}>
                  {e.op === 'unset'
                    ? 'remove'
                    : e.op === 'inc'
                      ? `+${describeValue(e.value)}`
                      : describeValue(e.value)}
                </td>
                <td>{formatDuration(Math.max(0, now - e.createdAt))}</td>
                <td>{e.attempts}</td>
                <td>
                  {e.rejectedReason ? 'refused' : paused ? 'paused' : e.inFlight ? 'sending' : 'queued'}
                </td>
              </tr>
              <tr className="outbox__more">
                <td colSpan={5}>
                  <div className="outbox__actions">
                    {e.rejectedReason && <span className="outbox__reason">rejected: {e.rejectedReason}</span>}
                    {e.rejectedReason && (
                      <button
                        type="button"
                        onClick={() => retry(e.seq)}
                        aria-label={`Retry edit of ${e.path}`}
                      >
                        Retry
                      </button>
                    )}
                    <button
                      type="button"
                      onClick={() => onDiscard(e.seq)}
                      aria-label={`Discard edit of ${e.path}`}
                    >
                      Discard
                    </button>
                  </div>
                </td>
              </tr>
            </tbody>
          ))}
        </table>
      )}
    </section>
  );
}
