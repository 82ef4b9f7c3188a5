/** Persistent banners for what blocks syncing; each one is derived from the status, so it goes when its cause does. */
import type { ClientStatus } from '../../../../sync/app-api/status.js';
import { plural, retryText } from './connection.js';

export interface BannersProps {
  status: ClientStatus;
  now: number;
  onRetry(): void;
  onGoOnline(): void;
}

export function Banners({ status, now, onRetry, onGoOnline }: BannersProps) {
  const pending = status.pendingCount;
  const kept =
    pending > 0
      ? ` Your ${plural(pending, 'edit')} ${pending === 1 ? 'is' : 'are'} kept on this device.`
      : '';
  const retry = retryText(status.retryAt, now);
  const loggedIn = status.user !== null;
  // An expired session stops all syncing: the connection banners would only distract from logging in.
  const expired = status.session === 'expired';
  return (
    <div className="banners">
      {status.session === 'expired' && (
        <div className="banner banner--error" data-testid="banner-session" role="status">
          <span>
            Your session expired: log in again{status.user?.email ? ` as ${status.user.email}` : ''} to sync.
            {kept}
          </span>
        </div>
      )}
      {!expired && status.connection === 'offline' && (
        <div className="banner banner--offline" data-testid="banner-offline" role="status">
          <span>
            {status.tester.offline ? 'Offline (simulated in the tester console).' : "You're offline."}
            {loggedIn && ' Edits are saved on this device and sync when the connection is back.'}
            {kept}
          </span>
          {status.tester.offline && (
            <button type="button" onClick={onGoOnline}>
              Go back online
            </button>
          )}
        </div>
      )}
      {!expired && (status.connection === 'unreachable' || status.connection === 'failing') && (
        <div className="banner banner--error" data-testid="banner-server" role="status">
          <span>
            {status.connection === 'failing' ? 'The server is failing' : "Can't reach the server"}
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
