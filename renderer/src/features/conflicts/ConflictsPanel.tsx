import type { AppState } from '../../../../sync/app-api/contract.js';
import { formatTime, formatValue } from '../../format.js';

const show = (side: { exists: boolean; value?: unknown }) =>
  side.exists ? formatValue(side.value) : '(absent)';

export function ConflictsPanel({
  conflicts,
  onDismiss,
}: {
  conflicts: AppState['conflicts'];
  onDismiss(id: number): void;
}) {
  if (conflicts.length === 0) return null;
  return (
    <section className="panel panel--warn" aria-labelledby="conflicts-title">
      <header className="panel__header">
        <h2 id="conflicts-title">Conflicts</h2>
        <span className="badge badge--warn">{conflicts.length}</span>
      </header>
      <p className="muted">
        Another writer changed these fields while you edited offline. Your value was applied (last writer
        wins).
      </p>
      <table>
        <thead>
          <tr>
            <th scope="col">Field</th>
            <th scope="col">Base</th>
            <th scope="col">Server</th>
            <th scope="col">Mine</th>
            <th scope="col">When</th>
            <th scope="col">
              <span className="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {conflicts.map((c) => (
            <tr key={c.id} data-testid="conflict-row">
              <td>{c.path}</td>
              <td>{show(c.base)}</td>
              <td>{show(c.server)}</td>
              <td>{c.mine.op === 'unset' ? '(removed)' : formatValue(c.mine.value)}</td>
              <td>{formatTime(c.detectedAt)}</td>
              <td>
                <button
                  type="button"
                  onClick={() => onDismiss(c.id)}
                  aria-label={`Dismiss conflict on ${c.path}`}
                >
                  Dismiss
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
