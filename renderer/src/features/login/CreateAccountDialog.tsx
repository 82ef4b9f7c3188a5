import { type FormEvent, useEffect, useRef, useState } from 'react';
import { useApp } from '../../stores/app-store.js';
import './login.css';

/**
 * "Create an account" for an anonymous session (native modal <dialog>: focus stays inside,
 * Escape cancels). The anonymous user becomes an e-mail account with the same id, so the data
 * and any unsynced edits stay; the form says so. Errors are the engine's sentences, shown here.
 */
export function CreateAccountDialog({
  onCancel,
  onCreated,
}: {
  onCancel(): void;
  onCreated(email: string): void;
}) {
  const attempt = useApp((s) => s.attempt);
  const busy = useApp((s) => s.busy);
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<{ text: string; field: 'email' | 'password' } | null>(null);
  // An answer about what was sent goes once the user changes it: it would describe other input.
  const edited = (set: (value: string) => void, value: string) => {
    setError(null);
    set(value);
  };
  const dialogRef = useRef<HTMLDialogElement>(null);
  const emailRef = useRef<HTMLInputElement>(null);

  useEffect(() => {
    const dialog = dialogRef.current;
    if (dialog && !dialog.open) {
      if (typeof dialog.showModal === 'function') dialog.showModal();
      else dialog.setAttribute('open', '');
    }
    emailRef.current?.focus();
  }, []);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!/^\S+@\S+$/.test(email.trim()))
      return setError({ text: 'Enter an e-mail address, like name@example.com.', field: 'email' });
    if (password.length < 6)
      return setError({ text: 'The password must be at least 6 characters long.', field: 'password' });
    const result = await attempt('createAccount', { email: email.trim(), password });
    if (!result.ok) return setError({ text: result.error, field: 'email' });
    onCreated(result.value.status.user?.email ?? email.trim());
  };

  const described = (field: 'email' | 'password', hint?: string) =>
    [hint, error?.field === field ? 'create-account-error' : undefined].filter(Boolean).join(' ') ||
    undefined;

  return (
    <dialog
      ref={dialogRef}
      className="confirm account-form"
      aria-labelledby="create-account-title"
      aria-describedby="create-account-intro"
      data-testid="create-account"
      onCancel={(e) => {
        e.preventDefault();
        onCancel();
      }}
    >
      <h2 id="create-account-title">Create an account</h2>
      <form onSubmit={submit} noValidate>
        <p id="create-account-intro">
          Your data stays with you: this anonymous account becomes an account you can sign in to with this
          e-mail and password, here or on another device. Nothing is lost, unsynced edits included.
        </p>
        <label>
          Email
          <input
            ref={emailRef}
            type="email"
            autoComplete="email"
            required
            value={email}
            onChange={(e) => edited(setEmail, e.target.value)}
            aria-invalid={error?.field === 'email'}
            aria-describedby={described('email')}
          />
        </label>
        <label>
          Password
          <input
            type="password"
            autoComplete="new-password"
            required
            minLength={6}
            value={password}
            onChange={(e) => edited(setPassword, e.target.value)}
            aria-invalid={error?.field === 'password'}
            aria-describedby={described('password', 'create-account-hint')}
          />
        </label>
        <p className="form-hint" id="create-account-hint">
          At least 6 characters.
        </p>
        {error && (
          <p className="form-message form-message--error" id="create-account-error" role="alert">
            {error.text}
          </p>
        )}
        <div className="row confirm__actions">
          <button type="button" onClick={onCancel}>
            Cancel
          </button>
          <button type="submit" disabled={busy !== null}>
            {busy === 'createAccount' ? 'Creating…' : 'Create account'}
          </button>
        </div>
      </form>
    </dialog>
  );
}
