import { useEffect, useState } from 'react';
import { ConflictsPanel } from './features/conflicts/ConflictsPanel.js';
import { CustomDataPanel } from './features/custom-data/CustomDataPanel.js';
import { LoginPanel } from './features/login/LoginPanel.js';
import { OutboxPanel } from './features/outbox/OutboxPanel.js';
import { StalenessMeter } from './features/staleness/StalenessMeter.js';
import { StatusBar } from './features/status/StatusBar.js';
import { TesterConsole } from './features/tester/TesterConsole.js';
import { connectStore, useApp } from './stores/app-store.js';

function useNow(): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const id = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(id);
  }, []);
  return now;
}

export function App() {
  const state = useApp((s) => s.state);
  const error = useApp((s) => s.error);
  const clearError = useApp((s) => s.clearError);
  const run = useApp((s) => s.run);
  const now = useNow();
  useEffect(connectStore, []);

  if (!state) return <p className="muted center">Opening local data…</p>;
  const loggedIn = state.status.user !== null || state.status.session === 'expired';
  return (
    <div className="app">
      <header className="topbar">
        <strong>customdata-desk</strong>
        {state.status.user && (
          <span className="row">
            <span className="muted">{state.status.user.email ?? 'anonymous'}</span>
            <button type="button" onClick={() => void run('logOut', {})}>
              Log out
            </button>
          </span>
        )}
      </header>
      {error && (
        <div className="alert" role="alert">
          {error}
          <button type="button" onClick={clearError} aria-label="Dismiss error">
            ×
          </button>
        </div>
      )}
      <main className="grid">
        {!loggedIn || state.status.session === 'expired' ? (
          <LoginPanel email={state.status.user?.email ?? ''} />
        ) : null}
        {loggedIn && (
          <>
            <StalenessMeter status={state.status} />
            <CustomDataPanel state={state} />
            <ConflictsPanel
              conflicts={state.conflicts}
              onDismiss={(id) => void run('dismissConflict', { id })}
            />
            <OutboxPanel
              outbox={state.outbox}
              counts={state.status}
              paused={state.status.session === 'expired'}
              now={now + state.status.tester.clockSkewMs}
              onRetry={(seq) => void run('retryOutbox', { seq })}
              onDiscard={(seq) => void run('discardEdit', { seq })}
            />
            <TesterConsole state={state} />
          </>
        )}
      </main>
      <StatusBar status={state.status} />
    </div>
  );
}
