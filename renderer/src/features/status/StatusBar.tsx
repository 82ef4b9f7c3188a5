import type { ClientStatus } from '../../../../sync/app-api/status.js';
import { formatTime } from '../../format.js';

export function StatusBar({ status }: { status: ClientStatus }) {
  const connection = status.syncing ? 'syncing' : status.connection;
  return (
    <footer className="statusbar">
      <span className={`statusbar__conn statusbar__conn--${connection}`} data-testid="connection">
        {connection === 'syncing'
          ? 'Syncing…'
          : connection === 'online'
            ? 'Online'
            : connection === 'offline'
              ? 'Offline'
              : connection === 'unreachable'
                ? 'Server unreachable'
                : connection === 'failing'
                  ? 'Server failing'
                  : 'Connecting…'}
        {status.retryAt !== null &&
          ` — retrying in ${Math.max(0, Math.ceil((status.retryAt - Date.now()) / 1000))} s`}
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
      <span data-testid="pending-count">{status.pendingCount} pending</span>
      {status.rejectedCount > 0 && <span data-testid="rejected-count">{status.rejectedCount} refused</span>}
      {status.conflictCount > 0 && <span data-testid="conflict-count">{status.conflictCount} conflicts</span>}
      <span>Last synced {formatTime(status.lastSyncedAt)}</span>
      {status.user && <span>{status.user.email ?? 'anonymous user'}</span>}
      {status.lastError && <span className="statusbar__error">{status.lastError}</span>}
    </footer>
  );
}
