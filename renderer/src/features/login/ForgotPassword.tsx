import { type FormEvent, useEffect, useRef, useState } from 'react';
import { useApp } from '../../stores/app-store.js';
import { parseResetLink, RESET_LINK_HELP } from './reset-link.js';

type Step = 'request' | 'reset';

/**
 * "Forgot password?": the e-mail → "Send reset link" → paste the link from the mail and a new
 * password → "Set new password" → back to sign in (`onDone`). Errors are the engine's sentences,
 * shown next to the form; nothing says "sent" or "changed" unless the server said so.
 */
export function ForgotPassword({
  email: initialEmail = '',
  onCancel,
  onDone,
}: {
  email?: string;
  onCancel(): void;
  onDone(email: string): void;
}) {
  const attempt = useApp((s) => s.attempt);
  const busy = useApp((s) => s.busy);
  const [step, setStep] = useState<Step>('request');
  const [email, setEmail] = useState(initialEmail);
  const [link, setLink] = useState('');
  const [password, setPassword] = useState('');
  const [sentTo, setSentTo] = useState<string | null>(null);
  const [error, setError] = useState<{ text: string; field: 'email' | 'link' | 'password' } | null>(null);
  // An answer about what was sent goes once the user changes it: it would describe other input.
  const edited = (set: (value: string) => void, value: string) => {
    setError(null);
    set(value);
  };
  const heading = useRef<HTMLHeadingElement>(null);

  // The button that opened this view is gone: each step takes the focus to its heading.
  // biome-ignore lint/correctness/useExhaustiveDependencies: runs on every step change on purpose.
  useEffect(() => {
    heading.current?.focus();
  }, [step]);

  const go = (next: Step) => {
    setError(null);
    setStep(next);
  };

  const send = async (event: FormEvent) => {
    event.preventDefault();
    if (!email.trim()) return setError({ text: 'Enter the e-mail of your account.', field: 'email' });
    const result = await attempt('requestPasswordReset', { email: email.trim() });
    if (!result.ok) return setError({ text: result.error, field: 'email' });
    setSentTo(email.trim());
    setLink('');
    go('reset');
  };

  const reset = async (event: FormEvent) => {
    event.preventDefault();
    const parsed = parseResetLink(link);
    if ('error' in parsed) return setError({ text: parsed.error, field: 'link' });
    if (password.length < 6)
      return setError({ text: 'The new password must be at least 6 characters long.', field: 'password' });
    const result = await attempt('resetPassword', { ...parsed, password });
    if (!result.ok) return setError({ text: result.error, field: 'link' });
    onDone(sentTo ?? email.trim());
  };

  const invalid = (field: 'email' | 'link' | 'password') => error?.field === field;
  const described = (field: 'email' | 'link' | 'password', hint?: string) =>
    [hint, invalid(field) ? 'forgot-error' : undefined].filter(Boolean).join(' ') || undefined;
  const errorLine = error && (
    <p className="form-message form-message--error" id="forgot-error" role="alert">
      {error.text}
    </p>
  );

  return (
    <section className="panel login" aria-labelledby="forgot-title" data-testid="forgot-password">
      {step === 'request' ? (
        <>
          <h1 id="forgot-title" ref={heading} tabIndex={-1}>
            Reset your password
          </h1>
          <p className="muted">Enter the e-mail of your account: we send you a link to set a new password.</p>
          <form onSubmit={send} noValidate>
            <label>
              Email
              <input
                type="email"
                autoComplete="username"
                required
                value={email}
                onChange={(e) => edited(setEmail, e.target.value)}
                aria-invalid={invalid('email')}
                aria-describedby={described('email')}
              />
            </label>
            {errorLine}
            <div className="row">
              <button type="submit" disabled={busy !== null}>
                Send reset link
              </button>
            </div>
            <div className="row form-links">
              <button type="button" className="link" onClick={() => go('reset')}>
                I already have a link
              </button>
              <button type="button" className="link" onClick={onCancel}>
                Back to sign in
              </button>
            </div>
          </form>
        </>
      ) : (
        <>
          <h1 id="forgot-title" ref={heading} tabIndex={-1}>
            Set a new password
          </h1>
          {sentTo ? (
            <p className="form-message form-message--ok" role="status" data-testid="reset-sent">
              Reset link sent to <strong className="form-message__email">{sentTo}</strong>. Open the e-mail,
              copy the link and paste it here; it works once, for a limited time.
            </p>
          ) : (
            <p className="muted">{RESET_LINK_HELP}</p>
          )}
          <form onSubmit={reset} noValidate>
            <label>
              Paste the link from the e-mail
              <input
                type="text"
                inputMode="url"
                autoComplete="off"
                spellCheck={false}
                required
                placeholder="https://…?token=…&tokenId=…"
                value={link}
                onChange={(e) => edited(setLink, e.target.value)}
                aria-invalid={invalid('link')}
                aria-describedby={described('link')}
              />
            </label>
            <label>
              New password
              <input
                type="password"
                autoComplete="new-password"
                required
                minLength={6}
                value={password}
                onChange={(e) => edited(setPassword, e.target.value)}
                aria-invalid={invalid('password')}
                aria-describedby={described('password', 'new-password-hint')}
              />
            </label>
            <p className="form-hint" id="new-password-hint">
              At least 6 characters.
            </p>
            {errorLine}
            <div className="row">
              <button type="submit" disabled={busy !== null}>
                Set new password
              </button>
            </div>
            <div className="row form-links">
              <button type="button" className="link" onClick={() => go('request')}>
                Send a new link
              </button>
              <button type="button" className="link" onClick={onCancel}>
                Back to sign in
              </button>
            </div>
          </form>
        </>
      )}
    </section>
  );
}
