/** Live staleness: recomputed every second from the token times (pure `computeStaleness`). */
import { useEffect, useState } from 'react';
import type { ClientStatus } from '../../../../sync/client/index.js';
import { computeStaleness, type StalenessState } from '../../../../sync/client/staleness.js';
import { formatDuration } from '../../format.js';

const LABELS: Record<StalenessState, string> = {
  fresh: 'Fresh',
  aging: 'Aging',
  'token-expired': 'Token expired',
  offline: 'Offline',
  'session-expired': 'Session expired — log in again',
  'no-data': 'No data yet',
};

export function StalenessMeter({ status, now }: { status: ClientStatus; now?: number }) {
  // The interval only re-renders; the time is read at render so a new status is judged at once.
  const [, setTick] = useState(0);
  useEffect(() => {
    if (now !== undefined) return;
    const id = setInterval(() => setTick((t) => t + 1), 1000);
    return () => clearInterval(id);
  }, [now]);
  const s = computeStaleness({
    now: (now ?? Date.now()) + status.tester.clockSkewMs,
    issuedAt: status.token?.issuedAt,
    expiresAt: status.token?.expiresAt,
    online: status.connection === 'online',
    sessionExpired: status.session === 'expired',
    nextRenewalAt: status.token?.nextRenewalAt ?? undefined,
  });
  const fraction = s.ageMs !== null && s.ttlMs ? Math.min(1, s.ageMs / s.ttlMs) : 0;
  return (
    <section className={`meter meter--${s.state}`} aria-label="Data freshness" data-state={s.state}>
      <div className="meter__state" role="status">
        <span className="meter__dot" aria-hidden="true" />
        {LABELS[s.state]}
      </div>
      {/* biome-ignore lint/a11y/useSemanticElements: a styled bar with a fill child; <meter> cannot hold one. */}
      <div
        className="meter__bar"
        role="meter"
        aria-label="Data age relative to token lifetime"
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={Math.round(fraction * 100)}
      >
        <div className="meter__fill" style={{ width: `${fraction * 100}%` }} />
      </div>
      <dl className="meter__facts">
        <dt>Data age</dt>
        <dd data-testid="data-age">{formatDuration(s.ageMs)}</dd>
        <dt>Token time left</dt>
        <dd data-testid="token-left">
          {s.tokenRemainingMs !== null && s.tokenRemainingMs <= 0
            ? 'expired'
            : formatDuration(s.tokenRemainingMs)}
        </dd>
        <dt>Worst case</dt>
        <dd data-testid="worst-case">
          {s.worstCaseMs === null
            ? s.ageMs === null
              ? '—'
              : 'unbounded until reconnect'
            : `may be up to ${formatDuration(s.worstCaseMs)} stale`}
        </dd>
      </dl>
    </section>
  );
}
