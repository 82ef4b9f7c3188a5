/** The user's custom data: known fields with proper inputs, any other field as key/value; pending fields marked. */
import { useMemo, useState } from 'react';
import type { AppState } from '../../../../sync/app-api/contract.js';
import { formatValue } from '../../format.js';
import { useApp } from '../../stores/app-store.js';

const LANGUAGES = ['en', 'de', 'fr', 'es', 'it', 'ja', 'pt', 'zh'];
const KNOWN = ['favoriteColor', 'preferredLanguage', 'timezone', 'dateOfBirth'];
const HIDDEN = new Set(['_id', 'userId']);

function timezones(): string[] {
  const intl = Intl as unknown as { supportedValuesOf?: (key: string) => string[] };
  return intl.supportedValuesOf?.('timeZone') ?? ['UTC'];
}

function Pending({ on }: { on: boolean }) {
  return on ? (
    <span className="pending" title="Saved on this device, not yet synced">
      pending
    </span>
  ) : null;
}

export function CustomDataPanel({ state }: { state: AppState }) {
  const run = useApp((s) => s.run);
  const zones = useMemo(timezones, []);
  const pending = new Set(state.pendingPaths);
  const data = state.data;
  const str = (key: string) => (typeof data[key] === 'string' ? (data[key] as string) : '');
  const dob =
    data.dateOfBirth && typeof data.dateOfBirth === 'object' && '$date' in data.dateOfBirth
      ? String((data.dateOfBirth as { $date: string }).$date).slice(0, 10)
      : '';
  const set = (path: string, value: unknown) => void run('set', { path, value });
  const others = Object.keys(data).filter((k) => !KNOWN.includes(k) && !HIDDEN.has(k));
  const [newKey, setNewKey] = useState('');
  const [newValue, setNewValue] = useState('');

  return (
    <section className="panel" aria-labelledby="data-title">
      <header className="panel__header">
        <h2 id="data-title">Your preferences</h2>
        <button type="button" onClick={() => void run('refresh', {})}>
          Refresh now
        </button>
      </header>
      <div className="fields">
        <label className={pending.has('favoriteColor') ? 'is-pending' : ''}>
          <span>
            Favorite color <Pending on={pending.has('favoriteColor')} />
          </span>
          <span className="row">
            <input
              type="color"
              aria-label="Favorite color picker"
              value={/^#[0-9a-f]{6}$/i.test(str('favoriteColor')) ? str('favoriteColor') : '#000000'}
              onChange={(e) => set('favoriteColor', e.target.value)}
            />
            <input
              type="text"
              aria-label="Favorite color"
              defaultValue={str('favoriteColor')}
              key={`fc-${str('favoriteColor')}`}
              onBlur={(e) => e.target.value !== str('favoriteColor') && set('favoriteColor', e.target.value)}
            />
          </span>
        </label>
        <label className={pending.has('preferredLanguage') ? 'is-pending' : ''}>
          <span>
            Preferred language <Pending on={pending.has('preferredLanguage')} />
          </span>
          <select value={str('preferredLanguage')} onChange={(e) => set('preferredLanguage', e.target.value)}>
            <option value="">—</option>
            {[...new Set([...LANGUAGES, str('preferredLanguage')].filter(Boolean))].map((l) => (
              <option key={l} value={l}>
                {l}
              </option>
            ))}
          </select>
        </label>
        <label className={pending.has('timezone') ? 'is-pending' : ''}>
          <span>
            Timezone <Pending on={pending.has('timezone')} />
          </span>
          <select value={str('timezone')} onChange={(e) => set('timezone', e.target.value)}>
            <option value="">—</option>
            {zones.map((z) => (
              <option key={z} value={z}>
                {z}
              </option>
            ))}
          </select>
        </label>
        <label className={pending.has('dateOfBirth') ? 'is-pending' : ''}>
          <span>
            Date of birth <Pending on={pending.has('dateOfBirth')} />
          </span>
          <input
            type="date"
            value={dob}
            onChange={(e) => e.target.value && set('dateOfBirth', { $date: `${e.target.value}T00:00:00Z` })}
          />
        </label>
      </div>
      <h3>Other fields</h3>
      <table className="others">
        <tbody>
          {others.map((key) => (
            <tr key={key} className={pending.has(key) ? 'is-pending' : ''}>
              <th scope="row">
                {key} <Pending on={pending.has(key)} />
              </th>
              <td>{formatValue(data[key])}</td>
              <td>
                <button
                  type="button"
                  onClick={() => void run('unset', { path: key })}
                  aria-label={`Remove ${key}`}
                >
                  Remove
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <form
        className="row"
        onSubmit={(e) => {
          e.preventDefault();
          if (newKey) set(newKey, newValue);
          setNewKey('');
          setNewValue('');
        }}
      >
        <input
          aria-label="New field name"
          placeholder="field"
          value={newKey}
          onChange={(e) => setNewKey(e.target.value)}
        />
        <input
          aria-label="New field value"
          placeholder="value"
          value={newValue}
          onChange={(e) => setNewValue(e.target.value)}
        />
        <button type="submit" disabled={!newKey}>
          Add field
        </button>
      </form>
    </section>
  );
}
