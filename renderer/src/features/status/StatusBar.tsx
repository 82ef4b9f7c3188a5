import type { ClientStatus } from '../../../../sync/client/index.js';
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
              : 'Connecting…'}
        {status.tester.offline && ' (simulated)'}
      </span>
      <span data-testid="pending-count">{status.pendingCount} pending</span>
      <span>Last synced {formatTime(status.lastSyncedAt)}</span>
      {status.user && <span>{status.user.email ?? 'anonymous user'}</span>}
      {status.lastError && <span className="statusbar__error">{status.lastError}</span>}
    </footer>
  );
}
