// @vitest-environment happy-dom
import { cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ConflictsPanel } from '../../renderer/src/features/conflicts/ConflictsPanel.js';
import { OutboxPanel } from '../../renderer/src/features/outbox/OutboxPanel.js';
import { StalenessMeter } from '../../renderer/src/features/staleness/StalenessMeter.js';
import type { AppState } from '../../sync/app-api/contract.js';
import type { ClientStatus } from '../../sync/app-api/ui-model.js';

afterEach(cleanup);
const MIN = 60_000;

function status(over: Partial<ClientStatus> = {}): ClientStatus {
  return {
    connection: 'online',
    syncing: false,
    pendingCount: 0,
    rejectedCount: 0,
    conflictCount: 0,
    lastSyncedAt: 0,
    lastError: null,
    retryAt: null,
    session: 'active',
    user: { id: 'u', provider: 'local-userpass', email: 'a@b.co' },
    token: { issuedAt: 0, expiresAt: 30 * MIN, nextRenewalAt: 27 * MIN },
    staleness: { state: 'fresh', ageMs: 0, tokenRemainingMs: 0, ttlMs: 0, worstCaseMs: 0 },
    serverTimeOffsetMs: 0,
    deviceClockOffMs: 0,
    tester: { offline: false, clockSkewMs: 0 },
    live: { state: 'off', confirmedAt: null },
    ...over,
  };
}

describe('StalenessMeter', () => {
  it('shows "Live" while the push stream is confirmed, with the age since the last keep-alive', () => {
    const live = status({ live: { state: 'open', confirmedAt: 20 * MIN - 5_000 } });
    const { rerender } = render(<StalenessMeter status={live} now={20 * MIN} />);
    expect(screen.getByRole('status').textContent).toBe('Live');
    expect(screen.getByTestId('data-age').textContent).toBe('5 s');
    // The stream reconnecting: judged by the last confirmation again.
    rerender(
      <StalenessMeter
        status={{ ...live, live: { state: 'reconnecting', confirmedAt: null } }}
        now={20 * MIN}
      />,
    );
    expect(screen.getByRole('status').textContent).toBe('Aging');
  });
  it('shows age, token time left and the worst-case bound in words and state', () => {
    render(<StalenessMeter status={status()} now={5 * MIN} />);
    // Five minutes without confirmation (no push) is not fresh.
    expect(screen.getByRole('status').textContent).toBe('Aging');
    expect(screen.getByTestId('data-age').textContent).toBe('5 min');
    expect(screen.getByTestId('token-left').textContent).toBe('25 min');
    expect(screen.getByTestId('worst-case').textContent).toBe('may be up to 27 min stale');
    expect(screen.getByRole('meter').getAttribute('aria-valuenow')).toBe('17');
  });
  it('is fresh only within a minute of confirmation, then aging, token expired, failing, offline, session expired', () => {
    const { rerender } = render(<StalenessMeter status={status()} now={30_000} />);
    expect(screen.getByRole('status').textContent).toBe('Fresh');
    rerender(<StalenessMeter status={status({ connection: 'failing' })} now={30_000} />);
    expect(screen.getByRole('status').textContent).toMatch(/server failing/);
    rerender(<StalenessMeter status={status()} now={20 * MIN} />);
    expect(screen.getByRole('status').textContent).toBe('Aging');
    rerender(<StalenessMeter status={status()} now={31 * MIN} />);
    expect(screen.getByRole('status').textContent).toBe('Token expired');
    expect(screen.getByTestId('token-left').textContent).toBe('expired');
    rerender(<StalenessMeter status={status({ connection: 'offline' })} now={MIN} />);
    expect(screen.getByRole('status').textContent).toBe('Offline');
    expect(screen.getByTestId('worst-case').textContent).toBe('unbounded until reconnect');
    rerender(<StalenessMeter status={status({ session: 'expired' })} now={MIN} />);
    expect(screen.getByRole('status').textContent).toMatch(/Session expired/);
  });
  it('judges in server time: a device clock off by an hour is corrected by the measured offset', () => {
    // The host clock is an hour ahead; the engine measured the server an hour behind it.
    render(
      <StalenessMeter
        status={status({ serverTimeOffsetMs: -60 * MIN, deviceClockOffMs: 60 * MIN })}
        now={60 * MIN + 30_000}
      />,
    );
    expect(screen.getByRole('status').textContent).toBe('Fresh');
    expect(screen.getByTestId('clock-off').textContent).toMatch(/ahead by 1 h 0 min/);
  });
});

const entry = (over: Partial<AppState['outbox'][number]> = {}): AppState['outbox'][number] => ({
  seq: 1,
  path: 'favoriteColor',
  op: 'set',
  value: 'red',
  createdAt: 0,
  attempts: 2,
  lastError: 'fetch failed',
  inFlight: true,
  rejectedReason: null,
  ...over,
});

describe('OutboxPanel', () => {
  it('lists each edit with its age, attempts and state, and the last error', () => {
    render(
      <OutboxPanel
        outbox={[
          entry(),
          entry({
            seq: 2,
            path: 'userId',
            op: 'set',
            value: 'x',
            inFlight: false,
            attempts: 1,
            lastError: 'denied',
            rejectedReason: 'denied',
          }),
        ]}
        counts={{ pendingCount: 1, rejectedCount: 1 }}
        now={90_000}
        onRetry={() => {}}
        onDiscard={() => {}}
      />,
    );
    const rows = screen.getAllByTestId('outbox-row');
    expect(rows[0]?.textContent).toContain('favoriteColor');
    expect(rows[0]?.textContent).toContain('1 min 30 s');
    expect(rows[0]?.textContent).toContain('sending');
    expect(rows[1]?.textContent).toContain('rejected: denied');
    // The engine's counts, as in the status bar: a refused edit is not "pending".
    expect(screen.getByTestId('outbox-count').textContent).toBe('1 pending · 1 refused');
    expect(screen.getByText(/Last error: denied/)).toBeTruthy();
  });
  it("shows no send error while offline: the banner explains the state (the tester's switch included)", () => {
    render(
      <OutboxPanel
        outbox={[entry({ lastError: 'offline (simulated)' })]}
        counts={{
          pendingCount: 1,
          rejectedCount: 0,
          connection: 'offline',
          tester: { offline: true, clockSkewMs: 0 },
        }}
        now={0}
        onRetry={() => {}}
        onDiscard={() => {}}
      />,
    );
    expect(screen.queryByText(/Last error/)).toBeNull();
  });
  it('retries all and discards one', () => {
    const onRetry = vi.fn();
    const onDiscard = vi.fn();
    render(
      <OutboxPanel
        outbox={[entry({ seq: 7 })]}
        counts={{ pendingCount: 1, rejectedCount: 0 }}
        now={0}
        onRetry={onRetry}
        onDiscard={onDiscard}
      />,
    );
    fireEvent.click(screen.getByRole('button', { name: 'Retry now' }));
    fireEvent.click(screen.getByRole('button', { name: 'Discard edit of favoriteColor' }));
    expect(onRetry).toHaveBeenCalledWith();
    expect(onDiscard).toHaveBeenCalledWith(7);
  });
  it('says paused when the session expired', () => {
    render(
      <OutboxPanel
        outbox={[entry()]}
        counts={{ pendingCount: 1, rejectedCount: 0 }}
        now={0}
        paused
        onRetry={() => {}}
        onDiscard={() => {}}
      />,
    );
    expect(screen.getByTestId('outbox-row').textContent).toContain('paused');
    expect(screen.getByText(/log in again/)).toBeTruthy();
  });
});

describe('ConflictsPanel', () => {
  it('shows base, server and mine; keep mine dismisses, use server resolves', () => {
    const onDismiss = vi.fn();
    const onResolve = vi.fn();
    render(
      <ConflictsPanel
        conflicts={[
          {
            id: 3,
            path: 'favoriteColor',
            base: { exists: true, value: 'blue' },
            server: { exists: true, value: 'yellow' },
            mine: { op: 'set', value: 'green' },
            detectedAt: 0,
          },
        ]}
        onDismiss={onDismiss}
        onResolve={onResolve}
      />,
    );
    const cells = screen.getByTestId('conflict-row').querySelectorAll('td');
    expect([...cells].slice(0, 4).map((c) => c.textContent)).toEqual([
      'favoriteColor',
      'blue',
      'yellow',
      'green',
    ]);
    fireEvent.click(screen.getByRole('button', { name: 'Keep mine for favoriteColor' }));
    fireEvent.click(screen.getByRole('button', { name: 'Use server for favoriteColor' }));
    expect(onResolve.mock.calls).toEqual([
      [3, 'mine'],
      [3, 'server'],
    ]);
  });
  it('renders nothing without conflicts', () => {
    const { container } = render(<ConflictsPanel conflicts={[]} onDismiss={() => {}} />);
    expect(container.textContent).toBe('');
  });
});
