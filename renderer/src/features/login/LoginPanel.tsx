import { type FormEvent, useState } from 'react';
import { useApp } from '../../stores/app-store.js';

export function LoginPanel({ email: knownEmail = '' }: { email?: string }) {
  const run = useApp((s) => s.run);
  const busy = useApp((s) => s.busy);
  const [email, setEmail] = useState(knownEmail);
  const [password, setPassword] = useState('');
  const [notice, setNotice] = useState<string | null>(null);

  const logIn = (event: FormEvent) => {
    event.preventDefault();
    void run('logIn', { email, password });
  };
  const register = async () => {
    if ((await run('register', { email, password })) !== undefined) {
      setNotice('Account created. Logging in…');
      await run('logIn', { email, password });
    }
  };
  return (
    <section className="panel login" aria-labelledby="login-title">
      <h1 id="login-title">Sign in</h1>
      <form onSubmit={logIn}>
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
            Log in
          </button>
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
        </div>
      </form>
      {notice && <p className="muted">{notice}</p>}
    </section>
  );
}
