/**
 * Live staleness: the model's `stalenessAt` on the renderer's clock tick (the state changes with
 * time alone, e.g. fresh → aging). The status's own `staleness` is the same function at the emit
 * time, already old a second later: not read here.
 */
import { type ClientStatus, type StalenessState, stalenessAt } from '../../../../sync/app-api/ui-model.js';
import { formatDuration } from '../../format.js';

const LABELS: Record<StalenessState, string> = {
  live: 'Live',
  fresh: 'Fresh',
  aging: 'Aging',
  'token-expired': 'Token expired',
  'server-failing': 'Not confirmed — server failing',
  offline: 'Offline',
  'session-expired': 'Session expired — log in again',
  'no-data': 'No data yet',
};

/** `now`: host time from the renderer's one clock. */
export function StalenessMeter({ status, now }: { status: ClientStatus; now: number }) {
  // Host time; the status carries the measured server-time offset (and the tester's skew).
  const s = stalenessAt(status, now);
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
      {Math.abs(status.deviceClockOffMs) > 60_000 && (
        <p className="muted" data-testid="clock-off">
          Device clock is {status.deviceClockOffMs > 0 ? 'ahead' : 'behind'} by{' '}
          {formatDuration(Math.abs(status.deviceClockOffMs))}; ages use the server's clock.
        </p>
      )}
    </section>
  );
}
