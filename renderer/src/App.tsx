import { useEffect, useRef, useState } from 'react';
import { ConfirmDialog } from './components/ConfirmDialog.js';
import { ConflictsPanel } from './features/conflicts/ConflictsPanel.js';
import { CustomDataPanel } from './features/custom-data/CustomDataPanel.js';
import { CreateAccountDialog } from './features/login/CreateAccountDialog.js';
import { LoginPanel } from './features/login/LoginPanel.js';
import { OutboxPanel } from './features/outbox/OutboxPanel.js';
import { StalenessMeter } from './features/staleness/StalenessMeter.js';
import { Announcer } from './features/status/Announcer.js';
import { Banners } from './features/status/Banners.js';
import { isSessionExpired, plural } from './features/status/describe.js';
import { StatusBar } from './features/status/StatusBar.js';
import { TesterConsole } from './features/tester/TesterConsole.js';
import { TruncatedCells } from './layout/truncate.js';
import { connectStore, useApp } from './stores/app-store.js';
import { useNow } from './stores/clock.js';

/** Brings a panel into view and moves the keyboard focus there (status bar parts). */
function reveal(id: string) {
  const el = document.getElementById(id);
  if (!el) return;
  el.scrollIntoView({ block: 'start', behavior: 'smooth' });
  el.focus({ preventScroll: true });
}

type Confirm = 'anonymous' | 'pending' | 'create-account' | null;
const ACCOUNT_CREATED = 'Account created:';

export function App() {
  const state = useApp((s) => s.state);
  const error = useApp((s) => s.error);
  const notice = useApp((s) => s.notice);
  const clearError = useApp((s) => s.clearError);
  const clearNotice = useApp((s) => s.clearNotice);
  const run = useApp((s) => s.run);
  const now = useNow();
  const [confirm, setConfirm] = useState<Confirm>(null);
  const createButton = useRef<HTMLButtonElement>(null);
  useEffect(connectStore, []);

  if (!state) return <p className="muted center">Opening local data…</p>;
  const { status } = state;
  const expired = isSessionExpired(status);
  const loggedIn = status.user !== null || expired;
  const unsent = status.pendingCount + status.rejectedCount;
  const endSession = () => {
    // "Account created: you are signed in as …" is not true any more.
    if (notice?.startsWith(ACCOUNT_CREATED)) clearNotice();
    void run('logOut', {});
  };
  const logOut = () => {
    // Ask first: an anonymous account cannot be opened again; unsent edits wait for the next login.
    if (status.user && status.user.email === null) setConfirm('anonymous');
    else if (unsent > 0) setConfirm('pending');
    else endSession();
  };
  const confirmed = () => {
    setConfirm(null);
    endSession();
  };
  const anonymous = status.user !== null && status.user.provider === 'anon-user' && !expired;
  const accountCreated = (email: string) => {
    setConfirm(null);
    useApp.setState({
      notice: `${ACCOUNT_CREATED} you are signed in as ${email}. Your data stayed with you; sign in with this e-mail from now on.`,
    });
    // Its button is gone: the focus goes to the notice that says what happened.
    requestAnimationFrame(() => document.querySelector<HTMLElement>('[data-testid="notice"]')?.focus());
  };

  return (
    <div className="app">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <strong>customdata-desk</strong>
        {status.user && (
          <span className="row topbar__user">
            <span className="muted">{status.user.email ?? 'anonymous'}</span>
            {anonymous && (
              <button
                type="button"
                ref={createButton}
                onClick={() => setConfirm('create-account')}
                aria-haspopup="dialog"
              >
                Create an account
              </button>
            )}
            <button type="button" onClick={logOut}>
              Log out
            </button>
          </span>
        )}
      </header>
      <Banners
        status={status}
        now={now}
        onRetry={() => void run('reconnect', {})}
        onGoOnline={() => void run('setOffline', { offline: false })}
      />
      {error && (
        <div className="alert" role="alert">
          <span className="alert__text">{error}</span>
          <button type="button" onClick={clearError} aria-label="Dismiss error">
            ×
          </button>
        </div>
      )}
      {notice && (
        <div className="notice" role="status" data-testid="notice" tabIndex={-1}>
          <span>{notice}</span>
          <button type="button" onClick={clearNotice} aria-label="Dismiss notice">
            ×
          </button>
        </div>
      )}
      <main id="main" className="workspace" tabIndex={-1}>
        {!loggedIn ? (
          <div className="workspace__grid workspace__grid--login">
            <LoginPanel />
            <TesterConsole state={state} />
          </div>
        ) : (
          <div className="workspace__grid">
            <h1 className="sr-only">Your custom data</h1>
            <div className="workspace__col workspace__col--primary">
              {expired && <LoginPanel email={status.user?.email ?? ''} relogin />}
              <StalenessMeter status={status} now={now} />
              <div className="slot slot--data">
                <CustomDataPanel state={state} />
              </div>
            </div>
            <div className="workspace__col workspace__col--side">
              <div className="slot slot--conflicts" id="conflicts-slot" tabIndex={-1}>
                <ConflictsPanel
                  conflicts={state.conflicts}
                  onDismiss={(id) => void run('dismissConflict', { id })}
                />
              </div>
              <div className="slot slot--outbox" id="outbox-slot" tabIndex={-1}>
                <OutboxPanel
                  outbox={state.outbox}
                  counts={status}
                  paused={expired}
                  now={now + status.tester.clockSkewMs}
                  onRetry={(seq) => void run('retryOutbox', { seq })}
                  onDiscard={(seq) => void run('discardEdit', { seq })}
                />
              </div>
              <TesterConsole state={state} />
            </div>
          </div>
        )}
      </main>
      <StatusBar
        status={status}
        now={now}
        onShowOutbox={() => reveal('outbox-slot')}
        onShowConflicts={() => reveal('conflicts-slot')}
      />
      <Announcer status={status} />
      <TruncatedCells />
      {confirm === 'create-account' && (
        <CreateAccountDialog
          onCancel={() => {
            setConfirm(null);
            requestAnimationFrame(() => createButton.current?.focus());
          }}
          onCreated={accountCreated}
        />
      )}
      {confirm === 'anonymous' && (
        <ConfirmDialog
          title="Leave this anonymous account?"
          confirmLabel="Log out and lose this data"
          cancelLabel="Stay logged in"
          onConfirm={confirmed}
          onCancel={() => setConfirm(null)}
        >
          <p>
            An anonymous account cannot be opened again: after logging out, its data
            {unsent > 0 ? ` and ${plural(unsent, 'unsynced edit')}` : ''} can't be reached from this app. To
            keep it, choose "Create an account" instead.
          </p>
        </ConfirmDialog>
      )}
      {confirm === 'pending' && (
        <ConfirmDialog
          title={`Log out with ${plural(unsent, 'unsynced edit')}?`}
          confirmLabel="Log out anyway"
          onConfirm={confirmed}
          onCancel={() => setConfirm(null)}
        >
          <p>
            {unsent === 1
              ? `This edit has not reached the server yet. It stays on this device and is sent when you log in again as ${status.user?.email}; until then nobody else sees it.`
              : `These edits have not reached the server yet. They stay on this device and are sent when you log in again as ${status.user?.email}; until then nobody else sees them.`}
          </p>
        </ConfirmDialog>
      )}
    </div>
  );
}
