/** Tester tools: provoke every staleness and sync state on purpose (the same hooks tests use). */
import { useCallback, useEffect, useState } from 'react';
import type { AppState } from '../../../../sync/app-api/contract.js';
import { api } from '../../api/index.js';
import { formatDuration } from '../../format.js';
import { useApp } from '../../stores/app-store.js';

const MAX_SKEW_MIN = 1440;

export function TesterConsole({ state }: { state: AppState }) {
  const run = useApp((s) => s.run);
  const loggedIn = state.status.user !== null;
  const [ttl, setTtl] = useState('');
  const [backendTtl, setBackendTtl] = useState<number | null>(null);
  const [ttlNote, setTtlNote] = useState<{ text: string; error: boolean } | null>(null);
  const [skew, setSkew] = useState(String(state.status.tester.clockSkewMs / 60_000));
  const [skewError, setSkewError] = useState<string | null>(null);
  const [field, setField] = useState('favoriteColor');
  const [value, setValue] = useState('green');
  const offline = state.status.tester.offline;

  // The backend's real value, not a guess: read it (admin API) on open and after every change.
  const readTtl = useCallback(async () => {
    const result = await api.getTokenTtl({});
    if (result.ok) {
      setBackendTtl(result.value.seconds);
      setTtl((t) => (t === '' ? String(result.value.seconds) : t));
      return result.value.seconds;
    }
    setTtlNote({ text: `Could not read the backend's token lifetime: ${result.error}`, error: true });
    return null;
  }, []);
  useEffect(() => {
    if (state.adminTools) void readTtl();
  }, [state.adminTools, readTtl]);

  const submitTtl = async () => {
    const seconds = Number(ttl);
    if (!Number.isInteger(seconds) || seconds < 1 || seconds > 86_400) {
      setTtlNote({
        text: 'Token lifetime must be a whole number of seconds from 1 to 86400 (a day).',
        error: true,
      });
      return;
    }
    setTtlNote(null);
    if ((await run('setTokenTtl', { seconds })) === undefined) return;
    const now = await readTtl();
    if (now !== null)
      setTtlNote({
        text: `Saved: the backend now issues access tokens valid for ${formatDuration(now * 1000)} (from the next renewal).`,
        error: false,
      });
  };
  const submitSkew = () => {
    const minutes = Number(skew);
    if (skew.trim() === '' || !Number.isFinite(minutes) || Math.abs(minutes) > MAX_SKEW_MIN) {
      setSkewError(
        `Clock skew must be a number of minutes from -${MAX_SKEW_MIN} to ${MAX_SKEW_MIN} (a day).`,
      );
      return;
    }
    setSkewError(null);
    void run('setClockSkew', { ms: Math.round(minutes * 60_000) });
  };

  return (
    <section className="panel tester" aria-labelledby="tester-title">
      <h2 id="tester-title">Tester console</h2>
      <div className="row">
        <button
          type="button"
          onClick={() => void run('setOffline', { offline: !offline })}
          aria-pressed={offline}
        >
          {offline ? 'Go online' : 'Go offline'}
        </button>
        {loggedIn && (
          <>
            <button type="button" onClick={() => void run('expireAccessToken', {})}>
              Expire access token now
            </button>
            <button type="button" onClick={() => void run('revokeSession', {})} disabled={!state.adminTools}>
              Revoke session (server)
            </button>
          </>
        )}
      </div>
      <form
        className="row"
        onSubmit={(e) => {
          e.preventDefault();
          void submitTtl();
        }}
        noValidate
      >
        <label>
          Token lifetime (s)
          <input
            type="number"
            min={1}
            max={86_400}
            value={ttl}
            onChange={(e) => setTtl(e.target.value)}
            aria-describedby="ttl-note"
            aria-invalid={ttlNote?.error ?? false}
            disabled={!state.adminTools}
          />
        </label>
        <button type="submit" disabled={!state.adminTools}>
          Set on backend
        </button>
        <p className="tester__note" id="ttl-note" role="status" data-testid="ttl-note">
          {backendTtl !== null && (
            <span data-testid="backend-ttl">
              Backend now: {backendTtl} s{backendTtl >= 60 ? ` (${formatDuration(backendTtl * 1000)})` : ''}.{' '}
            </span>
          )}
          {ttlNote && <span className={ttlNote.error ? 'field-error' : ''}>{ttlNote.text}</span>}
        </p>
      </form>
      <form
        className="row"
        onSubmit={(e) => {
          e.preventDefault();
          submitSkew();
        }}
        noValidate
      >
        <label>
          Clock skew (minutes)
          <input
            type="number"
            step="any"
            value={skew}
            onChange={(e) => setSkew(e.target.value)}
            aria-describedby="skew-note"
            aria-invalid={skewError !== null}
          />
        </label>
        <button type="submit">Skew clock</button>
        <p className="tester__note" id="skew-note">
          {skewError ? (
            <span className="field-error" role="alert">
              {skewError}
            </span>
          ) : (
            `Now ${state.status.tester.clockSkewMs / 60_000} min; negative = behind, up to a day either way.`
          )}
        </p>
      </form>
      {loggedIn && (
        <form
          className="row"
          onSubmit={(e) => {
            e.preventDefault();
            void run('anotherWriter', { set: { [field]: value } });
          }}
        >
          <label>
            Field
            <input value={field} onChange={(e) => setField(e.target.value)} />
          </label>
          <label>
            Value
            <input value={value} onChange={(e) => setValue(e.target.value)} />
          </label>
          <button type="submit" disabled={!state.adminTools}>
            Write as another writer
          </button>
        </form>
      )}
      {!state.adminTools && <p className="muted">Server-side tools need the backend's admin key.</p>}
      {!loggedIn && (
        <p className="muted">More tools (token, session, another writer) appear once logged in.</p>
      )}
    </section>
  );
}
