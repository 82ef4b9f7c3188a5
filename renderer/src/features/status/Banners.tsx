/** Persistent banners for what blocks syncing; each one is derived from the status, so it goes when its cause does. */
import type { ClientStatus } from '../../../../sync/app-api/ui-model.js';
import { blockerOf, keptText, retryText } from './describe.js';

export interface BannersProps {
  status: ClientStatus;
  now: number;
  onRetry(): void;
  onGoOnline(): void;
}

export function Banners({ status, now, onRetry, onGoOnline }: BannersProps) {
  const kept = keptText(status.pendingCount);
  const retry = retryText(status, now);
  const loggedIn = status.user !== null;
  // One cause at a time: an expired session stops all syncing, the connection banners would only distract.
  const blocker = blockerOf(status);
  return (
    <div className="banners">
      {blocker === 'session-expired' && (
        <div className="banner banner--error" data-testid="banner-session" role="status">
          <span>
            Your session expired: log in again{status.user?.email ? ` as ${status.user.email}` : ''} to sync.
            {kept}
          </span>
        </div>
      )}
      {(blocker === 'offline' || blocker === 'tester-offline') && (
        <div className="banner banner--offline" data-testid="banner-offline" role="status">
          <span>
            {blocker === 'tester-offline' ? 'Offline (tester switch).' : "You're offline."}
            {loggedIn && ' Edits are saved on this device and sync when the connection is back.'}
            {kept}
          </span>
          {blocker === 'tester-offline' && (
            <button type="button" onClick={onGoOnline}>
              Go back online
            </button>
          )}
        </div>
      )}
      {(blocker === 'unreachable' || blocker === 'failing') && (
        <div className="banner banner--error" data-testid="banner-server" role="status">
          <span>
            {blocker === 'failing' ? 'The server is failing' : "Can't reach the server"}
            {retry ? ` — ${retry}` : ''}.{kept}
            {status.lastError && <span className="banner__detail"> ({status.lastError})</span>}
          </span>
          <button type="button" onClick={onRetry}>
            Retry now
          </button>
        </div>
      )}
    </div>
  );
}
