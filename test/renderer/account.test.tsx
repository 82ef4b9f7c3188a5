// @vitest-environment happy-dom
/**
 * "Forgot password?" and "Create an account" in the renderer: the pasted reset link, each step's
 * focus and labels, and the engine's sentences shown when a request failed (never "sent" then).
 */
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { AppState } from '../../sync/app-api/contract.js';
import type { ClientStatus } from '../../sync/app-api/ui-model.js';

type Answer = { ok: true; value: unknown } | { ok: false; error: string };
const calls: { name: string; args: unknown }[] = [];
let answers: Record<string, Answer> = {};
vi.mock('../../renderer/src/api/index.js', () => ({
  api: new Proxy(
    {},
    {
      get: (_t, name: string) =>
        name === 'onState'
          ? () => () => undefined
          : async (args: unknown) => {
              calls.push({ name, args });
              return answers[name] ?? { ok: true, value: null };
            },
    },
  ),
}));
const { useApp } = await import('../../renderer/src/stores/app-store.js');
const { LoginPanel } = await import('../../renderer/src/features/login/LoginPanel.js');
const { parseResetLink } = await import('../../renderer/src/features/login/reset-link.js');
const { App } = await import('../../renderer/src/App.js');

const TOKEN = 'ab'.repeat(64);
const TOKEN_ID = '0123456789abcdef01234567';
const LINK = `https://app.example.com/reset?token=${TOKEN}&tokenId=${TOKEN_ID}`;

let version = 1;
function appState(user: ClientStatus['user']): AppState {
  return {
    version: ++version,
    status: {
      connection: 'online',
      syncing: false,
      pendingCount: 0,
      rejectedCount: 0,
      conflictCount: 0,
      lastSyncedAt: 0,
      lastError: null,
      retryAt: null,
      session: user ? 'active' : 'none',
      user,
      token: null,
      staleness: { state: 'fresh', ageMs: 0, tokenRemainingMs: 0, ttlMs: 0, worstCaseMs: 0 },
      serverTimeOffsetMs: 0,
      deviceClockOffMs: 0,
      tester: { offline: false, clockSkewMs: 0 },
      live: { state: 'open', confirmedAt: 0 },
    },
    data: { favoriteColor: 'mint' },
    serverData: { favoriteColor: 'mint' },
    pendingPaths: [],
    outbox: [],
    conflicts: [],
    adminTools: false,
  };
}

beforeEach(() => {
  calls.length = 0;
  answers = {};
  useApp.setState({ state: null, busy: null, error: null, notice: null });
});
afterEach(cleanup);

const field = (name: string) => screen.getByLabelText(name) as HTMLInputElement;
const click = (name: string) => fireEvent.click(screen.getByRole('button', { name }));
const describedBy = (input: HTMLElement) =>
  (input.getAttribute('aria-describedby') ?? '')
    .split(' ')
    .map((id) => document.getElementById(id)?.textContent ?? '')
    .join(' ');

describe('the pasted reset link', () => {
  it('takes token and tokenId from the link, its query, or a wrapped copy', () => {
    expect(parseResetLink(LINK)).toEqual({ token: TOKEN, tokenId: TOKEN_ID });
    expect(parseResetLink(`  <${LINK.slice(0, 60)}\n${LINK.slice(60)}>  `)).toEqual({
      token: TOKEN,
      tokenId: TOKEN_ID,
    });
    expect(parseResetLink(`token=${TOKEN}&tokenId=${TOKEN_ID}`)).toEqual({ token: TOKEN, tokenId: TOKEN_ID });
    expect(parseResetLink('https://app.example.com/reset?token=abc')).toMatchObject({
      error: expect.stringContaining('"tokenId="'),
    });
    expect(parseResetLink('')).toHaveProperty('error');
  });
});

describe('Forgot password?', () => {
  it('e-mail → link sent → paste the link and a new password → back to sign in, told so', async () => {
    render(<LoginPanel />);
    fireEvent.change(field('Email'), { target: { value: 'sam@example.com' } });
    click('Forgot password?');
    const heading = await screen.findByRole('heading', { name: 'Reset your password' });
    await waitFor(() => expect(document.activeElement).toBe(heading));
    expect(field('Email').value).toBe('sam@example.com');
    click('Send reset link');
    await screen.findByRole('heading', { name: 'Set a new password' });
    expect(calls).toEqual([{ name: 'requestPasswordReset', args: { email: 'sam@example.com' } }]);
    expect(screen.getByTestId('reset-sent').textContent).toContain('Reset link sent to sam@example.com');
    await waitFor(() => expect(document.activeElement?.textContent).toBe('Set a new password'));

    fireEvent.change(field('Paste the link from the e-mail'), { target: { value: LINK } });
    fireEvent.change(field('New password'), { target: { value: 'brand-new-1' } });
    expect(describedBy(field('New password'))).toBe('At least 6 characters.');
    click('Set new password');
    await screen.findByRole('heading', { name: 'Sign in' });
    expect(calls[1]).toEqual({
      name: 'resetPassword',
      args: { token: TOKEN, tokenId: TOKEN_ID, password: 'brand-new-1' },
    });
    expect(screen.getByTestId('login-notice').textContent).toBe(
      'Your password was changed. Sign in with the new password.',
    );
    expect(field('Email').value).toBe('sam@example.com');
    await waitFor(() => expect(document.activeElement?.textContent).toBe('Sign in'));
  });

  it("shows the engine's sentence when sending failed, and never says the link was sent", async () => {
    answers.requestPasswordReset = { ok: false, error: 'No account uses this e-mail.' };
    render(<LoginPanel />);
    click('Forgot password?');
    fireEvent.change(field('Email'), { target: { value: 'nobody@example.com' } });
    click('Send reset link');
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toBe('No account uses this e-mail.');
    expect(field('Email').getAttribute('aria-invalid')).toBe('true');
    expect(describedBy(field('Email'))).toBe('No account uses this e-mail.');
    expect(screen.queryByTestId('reset-sent')).toBeNull();
    expect(screen.getByRole('heading', { name: 'Reset your password' })).toBeTruthy();
    // The app-wide error banner is not used for the form's own error.
    expect(useApp.getState().error).toBeNull();
    // Another address: the answer about the first one goes.
    fireEvent.change(field('Email'), { target: { value: 'sam@example.com' } });
    expect(screen.queryByRole('alert')).toBeNull();
    expect(field('Email').getAttribute('aria-invalid')).toBe('false');
  });

  it('a pasted text without the token is refused here; a refused token shows the sentence', async () => {
    answers.resetPassword = {
      ok: false,
      error: 'This reset link is invalid or has expired; ask for a new one.',
    };
    render(<LoginPanel />);
    click('Forgot password?');
    click('I already have a link');
    await screen.findByRole('heading', { name: 'Set a new password' });
    fireEvent.change(field('Paste the link from the e-mail'), { target: { value: 'hello' } });
    fireEvent.change(field('New password'), { target: { value: 'brand-new-1' } });
    click('Set new password');
    expect((await screen.findByRole('alert')).textContent).toContain('This is not the reset link.');
    expect(calls).toEqual([]);
    fireEvent.change(field('Paste the link from the e-mail'), { target: { value: LINK } });
    click('Set new password');
    await waitFor(() =>
      expect(screen.getByRole('alert').textContent).toBe(
        'This reset link is invalid or has expired; ask for a new one.',
      ),
    );
    expect(screen.queryByRole('heading', { name: 'Sign in' })).toBeNull();
    click('Back to sign in');
    expect(screen.queryByTestId('login-notice')).toBeNull();
  });
});

describe('Create an account (anonymous session)', () => {
  it('is offered next to Log out; the form says the data stays; success says who is signed in', async () => {
    useApp.getState().setState(appState({ id: 'u1', provider: 'anon-user', email: null }));
    answers.createAccount = {
      ok: true,
      value: appState({ id: 'u1', provider: 'local-userpass', email: 'sam@example.com' }),
    };
    render(<App />);
    click('Create an account');
    const dialog = await screen.findByRole('dialog', { name: 'Create an account' });
    expect(dialog.getAttribute('aria-describedby')).toBe('create-account-intro');
    expect(document.getElementById('create-account-intro')?.textContent).toContain(
      'Your data stays with you',
    );
    await waitFor(() => expect(document.activeElement).toBe(field('Email')));
    fireEvent.change(field('Email'), { target: { value: 'sam@example.com' } });
    fireEvent.change(field('Password'), { target: { value: 'password-1' } });
    click('Create account');
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    expect(calls.at(-1)).toEqual({
      name: 'createAccount',
      args: { email: 'sam@example.com', password: 'password-1' },
    });
    expect(screen.getByTestId('notice').textContent).toContain('you are signed in as sam@example.com');
    expect(screen.queryByRole('button', { name: 'Create an account' })).toBeNull();
    expect(document.querySelector('.topbar')?.textContent).toContain('sam@example.com');
  });

  it('a refusal stays in the form with its sentence; Escape-like cancel closes it', async () => {
    useApp.getState().setState(appState({ id: 'u1', provider: 'anon-user', email: null }));
    answers.createAccount = { ok: false, error: 'An account with this e-mail already exists.' };
    render(<App />);
    click('Create an account');
    await screen.findByRole('dialog', { name: 'Create an account' });
    fireEvent.change(field('Email'), { target: { value: 'taken@example.com' } });
    fireEvent.change(field('Password'), { target: { value: 'password-1' } });
    click('Create account');
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toBe('An account with this e-mail already exists.');
    expect(describedBy(field('Email'))).toBe('An account with this e-mail already exists.');
    expect(screen.queryByTestId('notice')).toBeNull();
    click('Cancel');
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    expect(screen.getByRole('button', { name: 'Create an account' })).toBeTruthy();
  });

  it('is not offered to an e-mail account', () => {
    useApp.getState().setState(appState({ id: 'u2', provider: 'local-userpass', email: 'a@b.co' }));
    render(<App />);
    expect(screen.queryByRole('button', { name: 'Create an account' })).toBeNull();
  });
});
