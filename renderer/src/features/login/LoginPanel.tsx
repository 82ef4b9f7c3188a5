import { type FormEvent, useState } from 'react';
import { useApp } from '../../stores/app-store.js';

/**
 * Sign in, register or continue anonymously. After a session expiry (`relogin`), only the same
 * user may log in: their pending edits belong to that account.
 */
export function LoginPanel({
  email: knownEmail = '',
  relogin = false,
}: {
  email?: string;
  relogin?: boolean;
}) {
  const run = useApp((s) => s.run);
  const busy = useApp((s) => s.busy);
  const [email, setEmail] = useState(knownEmail);
  const [password, setPassword] = useState('');
  const [notice, setNotice] = useState<string | null>(null);

  const logIn = (event: FormEvent) => {
    event.preventDefault();
    void run('logIn', { email: relogin ? knownEmail : email, password });
  };
  const register = async () => {
    if ((await run('register', { email, password })) !== undefined) {
      setNotice('Account created. Logging in…');
      await run('logIn', { email, password });
    }
  };
  if (relogin && !knownEmail) {
    return (
      <section className="panel login" aria-labelledby="login-title">
        <h1 id="login-title">Session ended</h1>
        <p>This anonymous session expired and cannot be resumed; its data stays with that account.</p>
        <button type="button" onClick={() => void run('logOut', {})} disabled={busy !== null}>
          Start over
        </button>
      </section>
    );
  }
  return (
    <section className="panel login" aria-labelledby="login-title">
      <h1 id="login-title">{relogin ? 'Log in again' : 'Sign in'}</h1>
      {relogin && (
        <p className="muted">
          Log in as <strong>{knownEmail}</strong> to sync your edits: they belong to this account.
        </p>
      )}
      <form onSubmit={logIn}>
        {!relogin && (
          <label>
            Email
            <input
              type="email"
              autoComplete="username"
              required
              value={email}
              onChange={(e) => setEmail(e.target.value)}
            />
          </label>
        )}
        <label>
          Password
          <input
            type="password"
            autoComplete="current-password"
            required
            minLength={6}
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
        </label>
        <div className="row">
          <button type="submit" disabled={busy !== null}>
            {relogin ? `Log in as ${knownEmail}` : 'Log in'}
          </button>
          {!relogin && (
            <>
              <button
                type="button"
                onClick={() => void register()}
                disabled={busy !== null || !email || password.length < 6}
              >
                Register
              </button>
              <button
                type="button"
                className="link"
                onClick={() => void run('logIn', { anonymous: true })}
                disabled={busy !== null}
              >
                Continue anonymously
              </button>
            </>
          )}
        </div>
      </form>
      {notice && <p className="muted">{notice}</p>}
    </section>
  );
}
