/**
 * Fields another writer changed while the user edited offline. Last writer wins already applied
 * "mine"; the user either keeps it or takes the server's value back, per field or for all.
 */
import type { AppState } from '../../../../sync/app-api/contract.js';
import { formatTime } from '../../format.js';
import { useApp } from '../../stores/app-store.js';
import { describeValue } from '../../typed-value.js';
import './conflicts.css';

export type Keep = 'mine' | 'server';

const show = (side: { exists: boolean; value?: unknown }) =>
  side.exists ? describeValue(side.value) : '(absent)';

export function ConflictsPanel({
  conflicts,
  onDismiss,
  onResolve,
}: {
  conflicts: AppState['conflicts'];
  /** Keeps mine (the engine already applied it): the conflict is only dismissed. */
  onDismiss?(id: number): void;
  /** Defaults to the store's `resolveConflict` command. */
  onResolve?(id: number, keep: Keep): void;
}) {
  const run = useApp((s) => s.run);
  if (conflicts.length === 0) return null;
  const resolve = (id: number, keep: Keep) => {
    if (onResolve) onResolve(id, keep);
    else if (keep === 'mine' && onDismiss) onDismiss(id);
    else void run('resolveConflict', { id, keep });
  };
  const all = (keep: Keep) => {
    for (const c of conflicts) resolve(c.id, keep);
  };
  return (
    <section className="panel panel--warn" aria-labelledby="conflicts-title">
      <header className="panel__header">
        <h2 id="conflicts-title">Conflicts</h2>
        <span className="badge badge--warn">{conflicts.length}</span>
      </header>
      <p className="muted">
        Another writer changed these fields while you edited offline. Your value was applied (last writer
        wins): keep it, or use the server's value instead.
      </p>
      {conflicts.length > 1 && (
        <div className="row conflicts__all">
          <button type="button" onClick={() => all('mine')}>
            Keep all mine
          </button>
          <button type="button" onClick={() => all('server')}>
            Use server for all
          </button>
        </div>
      )}
      <table className="conflicts">
        <thead>
          <tr>
            <th scope="col">Field</th>
            <th scope="col">Base</th>
            <th scope="col">Server</th>
            <th scope="col">Mine</th>
          </tr>
        </thead>
        {/* One tbody per conflict: its values, then when and the two choices (fits a narrow panel). */}
        {conflicts.map((c) => (
          <tbody key={c.id} className="conflict">
            <tr data-testid="conflict-row">
              <td>{c.path}</td>
              <td>{show(c.base)}</td>
              <td>{show(c.server)}</td>
              <td>{c.mine.op === 'unset' ? '(removed)' : describeValue(c.mine.value)}</td>
            </tr>
            <tr className="conflict__choices">
              <td colSpan={4}>
                <div className="conflicts__actions">
                  <span className="muted">Detected {formatTime(c.detectedAt)}</span>
                  <button
                    type="button"
                    onClick={() => resolve(c.id, 'mine')}
                    aria-label={`Keep mine for ${c.path}`}
                    title="Keep your value (already applied)"
                  >
                    Keep mine
                  </button>
                  <button
                    type="button"
                    onClick={() => resolve(c.id, 'server')}
                    aria-label={`Use server for ${c.path}`}
                    title={
                      c.server.exists ? `Write back ${show(c.server)}` : 'Remove the field, as on the server'
                    }
                  >
                    Use server
                  </button>
                </div>
              </td>
            </tr>
          </tbody>
        ))}
      </table>
    </section>
  );
}
