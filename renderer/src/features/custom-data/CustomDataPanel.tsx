/**
 * The user's custom data: known fields with proper inputs, any other field edited in place with
 * its type; pending fields (including removals made offline) marked.
 */
import type { AppState } from '../../../../sync/app-api/contract.js';
import { useApp } from '../../stores/app-store.js';
import { useNow } from '../../stores/clock.js';
import { describeValue } from '../../typed-value.js';
import { AddField } from './AddField.js';
import { Pending } from './field-bits.js';
import { BirthdateField, ColorField, KNOWN, LanguageField, TimezoneField } from './KnownFields.js';
import { OtherFieldRow } from './OtherFieldRow.js';
import './custom-data.css';

/**
 * Not the user's to edit: the document's id and its owner field. The server may name the owner
 * field anything (CUSTOM_DATA_USER_ID_FIELD): it is the top-level field holding the user's own id.
 */
function isHidden(key: string, value: unknown, userId: string | undefined): boolean {
  return key === '_id' || (userId !== undefined && value === userId);
}

export function CustomDataPanel({ state }: { state: AppState }) {
  const run = useApp((s) => s.run);
  // The timezone's current offset: the one clock, read to the minute.
  const now = useNow(60_000);
  const pending = new Set(state.pendingPaths);
  const data = state.data;
  const userId = state.status.user?.id;
  const others = Object.keys(data).filter((k) => !KNOWN.includes(k) && !isHidden(k, data[k], userId));
  // A removal not yet synced: the field is gone from the data but its edit waits in the outbox.
  const removals = state.outbox.filter(
    (e, i, all) =>
      e.op === 'unset' &&
      !e.rejectedReason &&
      !(e.path in data) &&
      !KNOWN.includes(e.path) &&
      pending.has(e.path) &&
      all.findLastIndex((x) => x.path === e.path) === i,
  );

  return (
    <section className="panel custom-data" aria-labelledby="data-title">
      <header className="panel__header">
        <h2 id="data-title">Your preferences</h2>
        <button type="button" onClick={() => void run('refresh', {})}>
          Refresh now
        </button>
      </header>
      <div className="fields">
        <ColorField value={data.favoriteColor} pending={pending.has('favoriteColor')} />
        <LanguageField value={data.preferredLanguage} pending={pending.has('preferredLanguage')} />
        <TimezoneField value={data.timezone} pending={pending.has('timezone')} now={now} />
        <BirthdateField value={data.dateOfBirth} pending={pending.has('dateOfBirth')} />
      </div>
      <h3 id="others-title">Other fields</h3>
      {others.length === 0 && removals.length === 0 ? (
        <p className="muted">No other fields yet.</p>
      ) : (
        <ul className="others" aria-labelledby="others-title">
          {others.map((key) => (
            <li key={key}>
              <OtherFieldRow
                name={key}
                value={data[key]}
                pending={pending.has(key)}
                onRemove={() => void run('unset', { path: key })}
              />
            </li>
          ))}
          {removals.map((e) => (
            <li key={`removed-${e.path}`}>
              <div className="other-field is-pending is-removed" data-testid="removed-row">
                <span className="other-field__name" title={e.path}>
                  <del>{e.path}</del> <Pending on removed />
                </span>
                <span className="other-field__value muted">{describeRemoved(state, e.path)}</span>
                <span className="other-field__actions">
                  <button
                    type="button"
                    disabled={e.inFlight}
                    title={
                      e.inFlight
                        ? 'Already sent once: it may have reached the server, so it cannot be undone'
                        : undefined
                    }
                    onClick={() => void run('discardEdit', { seq: e.seq })}
                    aria-label={`Undo removal of ${e.path}`}
                  >
                    Undo
                  </button>
                </span>
              </div>
            </li>
          ))}
        </ul>
      )}
      <AddField existing={Object.keys(data)} />
    </section>
  );
}

function describeRemoved(state: AppState, path: string): string {
  const server = state.serverData?.[path];
  return server === undefined
    ? 'Removed on this device'
    : `Removed on this device (was ${describeValue(server)})`;
}
