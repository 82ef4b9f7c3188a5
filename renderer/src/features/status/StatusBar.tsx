/** Pinned to the window's bottom; its parts jump to the panel that explains them. */
import { useState } from 'react';
import type { ClientStatus } from '../../../../sync/app-api/status.js';
import { formatTime } from '../../format.js';
import { connectionLabel, currentError, plural, retryText } from './connection.js';

export interface StatusBarProps {
  status: ClientStatus;
  now?: number;
  onShowOutbox?(): void;
  onShowConflicts?(): void;
}

export function StatusBar({ status, now = Date.now(), onShowOutbox, onShowConflicts }: StatusBarProps) {
  const [details, setDetails] = useState(false);
  const expired = status.session === 'expired';
  const connection = expired ? 'expired' : status.syncing ? 'syncing' : status.connection;
  // Nothing is retried while the session is expired or the tester holds the app offline: no countdown then.
  const retry =
    status.connection === 'online' || expired || status.tester.offline
      ? null
      : retryText(status.retryAt, now);
  const error = currentError(status);
  return (
    <footer className="statusbar">
      <span className={`statusbar__conn statusbar__conn--${connection}`} data-testid="connection">
        {expired ? 'Session expired' : connectionLabel(status)}
        {retry && ` — ${retry}`}
        {status.tester.offline && ' (simulated)'}
      </span>
      <span data-testid="live-state" data-state={status.live.state}>
        {status.live.state === 'open'
          ? 'Live updates on'
          : status.live.state === 'connecting'
            ? 'Live updates connecting…'
            : status.live.state === 'reconnecting'
              ? 'Live updates reconnecting…'
              : status.live.state === 'unsupported'
                ? 'No live updates (server): refreshed at renewal'
                : 'Live updates off'}
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
                <strong>{connectionLabel(status)}</strong>
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
