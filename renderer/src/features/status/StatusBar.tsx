/** Pinned to the window's bottom; its parts jump to the panel that explains them. */
import { useState } from 'react';
import type { ClientStatus } from '../../../../sync/app-api/ui-model.js';
import { formatTime } from '../../format.js';
import { connectionWords, currentError, liveWords, plural, retryText } from './describe.js';

export interface StatusBarProps {
  status: ClientStatus;
  /** Host time (the renderer's one clock), for the retry countdown. */
  now: number;
  onShowOutbox?(): void;
  onShowConflicts?(): void;
}

export function StatusBar({ status, now, onShowOutbox, onShowConflicts }: StatusBarProps) {
  const [details, setDetails] = useState(false);
  const connection = connectionWords(status);
  const retry = retryText(status, now);
  const error = currentError(status);
  return (
    <footer className="statusbar">
      <span className={`statusbar__conn statusbar__conn--${connection.tone}`} data-testid="connection">
        {connection.label}
        {retry && ` — ${retry}`}
      </span>
      <span data-testid="live-state" data-state={status.live.state}>
        {liveWords(status.live.state)}
      </span>
      <button
        type="button"
        className="statusbar__part"
        data-testid="pending-count"
        onClick={onShowOutbox}
        aria-label={`${status.pendingCount} pending, show the outbox`}
      >
        {status.pendingCount} pending
      </button>
      {status.rejectedCount > 0 && (
        <button
          type="button"
          className="statusbar__part statusbar__part--error"
          data-testid="rejected-count"
          onClick={onShowOutbox}
        >
          {status.rejectedCount} refused
        </button>
      )}
      {status.conflictCount > 0 && (
        <button
          type="button"
          className="statusbar__part statusbar__part--warn"
          data-testid="conflict-count"
          onClick={onShowConflicts}
          aria-label={`${plural(status.conflictCount, 'conflict')}, show the conflicts`}
        >
          {plural(status.conflictCount, 'conflict')}
        </button>
      )}
      <span className="statusbar__synced">Last synced {formatTime(status.lastSyncedAt)}</span>
      {error && (
        <span className="statusbar__error-wrap">
          <button
            type="button"
            className="statusbar__part statusbar__part--error"
            data-testid="status-error"
            aria-expanded={details}
            aria-controls="status-error-details"
            onClick={() => setDetails((d) => !d)}
          >
            Error: {error.length > 40 ? `${error.slice(0, 40)}…` : error}
          </button>
          {details && (
            <div
              className="statusbar__details"
              id="status-error-details"
              role="dialog"
              aria-label="Error details"
            >
              <p>
                <strong>{connection.label}</strong>
                {retry && ` — ${retry}`}
              </p>
              <p className="statusbar__details-text">{error}</p>
              <button type="button" onClick={() => setDetails(false)}>
                Close
              </button>
            </div>
          )}
        </span>
      )}
    </footer>
  );
}
