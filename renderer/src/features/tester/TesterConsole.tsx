/** Tester tools: provoke every staleness and sync state on purpose (the same hooks tests use). */
import { useState } from 'react';
import type { AppState } from '../../../../sync/app-api/contract.js';
import { useApp } from '../../stores/app-store.js';

export function TesterConsole({ state }: { state: AppState }) {
  const run = useApp((s) => s.run);
  const [ttl, setTtl] = useState('10');
  const [skew, setSkew] = useState(String(state.status.tester.clockSkewMs / 60_000));
  const [field, setField] = useState('favoriteColor');
  const [value, setValue] = useState('green');
  const offline = state.status.tester.offline;
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
        <button type="button" onClick={() => void run('expireAccessToken', {})}>
          Expire access token now
        </button>
        <button type="button" onClick={() => void run('revokeSession', {})} disabled={!state.adminTools}>
          Revoke session (server)
        </button>
      </div>
      <form
        className="row"
        onSubmit={(e) => {
          e.preventDefault();
          void run('setTokenTtl', { seconds: Number(ttl) });
        }}
      >
        <label>
          Token lifetime (s)
          <input type="number" min={1} value={ttl} onChange={(e) => setTtl(e.target.value)} />
        </label>
        <button type="submit" disabled={!state.adminTools}>
          Set on backend
        </button>
      </form>
      <form
        className="row"
        onSubmit={(e) => {
          e.preventDefault();
          void run('setClockSkew', { ms: Math.round(Number(skew) * 60_000) });
        }}
      >
        <label>
          Clock skew (min)
          <input type="number" value={skew} onChange={(e) => setSkew(e.target.value)} />
        </label>
        <button type="submit">Skew clock</button>
      </form>
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
      {!state.adminTools && <p className="muted">Server-side tools need the backend's admin key.</p>}
    </section>
  );
}
