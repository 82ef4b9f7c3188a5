import { type FormEvent, useEffect, useRef, useState } from 'react';
import { useApp } from '../../stores/app-store.js';
import { ForgotPassword } from './ForgotPassword.js';
import './login.css';

/**
 * Sign in, register or continue anonymously; "Forgot password?" resets it by mail. After a
 * session expiry (`relogin`), only the same user may log in: their pending edits belong to that
 * account.
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
  const [forgot, setForgot] = useState(false);
  const heading = useRef<HTMLHeadingElement>(null);
  const backFromForgot = useRef(false);
  // Back from "Forgot password?": the focus goes to this form's heading (its button is gone).
  useEffect(() => {
    if (forgot || !backFromForgot.current) return;
    backFromForgot.current = false;
    heading.current?.focus();
  }, [forgot]);
  const openForgot = () => {
    setNotice(null);
    setForgot(true);
  };
  const closeForgot = (changedFor?: string) => {
    if (changedFor !== undefined) {
      if (!relogin) setEmail(changedFor);
      setPassword('');
      setNotice('Your password was changed. Sign in with the new password.');
    }
    backFromForgot.current = true;
    setForgot(false);
  };

  const logIn = (event: FormEvent) => {
    event.preventDefault();
    setNotice(null);
    void run('logIn', { email: relogin ? knownEmail : email, password });
  };
  const register = async () => {
    setNotice(null);
    if ((await run('register', { email, password })) !== undefined) {
      // True whatever the login says next (an unconfirmed account is refused with its own sentence).
      setNotice('Account created.');
      await run('logIn', { email, password });
    }
  };
  if (forgot)
    return (
      <ForgotPassword
        email={relogin ? knownEmail : email}
        onCancel={() => closeForgot()}
        onDone={closeForgot}
      />
    );
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
      <h1 id="login-title" ref={heading} tabIndex={-1}>
        {relogin ? 'Log in again' : 'Sign in'}
      </h1>
      {notice && (
        <p className="form-message form-message--ok" role="status" data-testid="login-notice">
          {notice}
        </p>
      )}
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
        <div className="row form-links">
          <button type="button" className="link" onClick={openForgot}>
            Forgot password?
          </button>
        </div>
      </form>
    </section>
  );
}
