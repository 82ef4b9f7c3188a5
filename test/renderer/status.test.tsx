// @vitest-environment happy-dom
import { cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ConfirmDialog } from '../../renderer/src/components/ConfirmDialog.js';
import { Announcer, announcement } from '../../renderer/src/features/status/Announcer.js';
import { Banners } from '../../renderer/src/features/status/Banners.js';
import { StatusBar } from '../../renderer/src/features/status/StatusBar.js';
import type { ClientStatus } from '../../sync/app-api/ui-model.js';

afterEach(cleanup);
const NOW = 1_000_000;

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
    token: null,
    staleness: { state: 'fresh', ageMs: 0, tokenRemainingMs: 0, ttlMs: 0, worstCaseMs: 0 },
    serverTimeOffsetMs: 0,
    deviceClockOffMs: 0,
    tester: { offline: false, clockSkewMs: 0 },
    live: { state: 'open', confirmedAt: 0 },
    ...over,
  };
}

const noop = () => undefined;

describe('Banners', () => {
  it('says the server cannot be reached with the retry countdown and a working "Retry now", and goes when online', () => {
    const onRetry = vi.fn();
    const failing = status({
      connection: 'unreachable',
      retryAt: NOW + 12_000,
      lastError: 'ECONNREFUSED',
      pendingCount: 2,
    });
    const { rerender } = render(<Banners status={failing} now={NOW} onRetry={onRetry} onGoOnline={noop} />);
    const banner = screen.getByTestId('banner-server');
    expect(banner.textContent).toContain("Can't reach the server — retrying in 12 s");
    expect(banner.textContent).toContain('Your 2 edits are kept on this device');
    expect(banner.textContent).toContain('ECONNREFUSED');
    fireEvent.click(screen.getByRole('button', { name: 'Retry now' }));
    expect(onRetry).toHaveBeenCalledOnce();
    rerender(
      <Banners
        status={status({ connection: 'failing', retryAt: NOW + 3_000 })}
        now={NOW}
        onRetry={onRetry}
        onGoOnline={noop}
      />,
    );
    expect(screen.getByTestId('banner-server').textContent).toContain(
      'The server is failing — retrying in 3 s',
    );
    rerender(<Banners status={status()} now={NOW} onRetry={onRetry} onGoOnline={noop} />);
    expect(screen.queryByTestId('banner-server')).toBeNull();
    expect(screen.queryByRole('status')).toBeNull();
  });
  it('shows offline (the tester switch: with a way back) and session expired, each only while its cause lasts', () => {
    const onGoOnline = vi.fn();
    const { rerender } = render(
      <Banners
        status={status({ connection: 'offline', tester: { offline: true, clockSkewMs: 0 } })}
        now={NOW}
        onRetry={noop}
        onGoOnline={onGoOnline}
      />,
    );
    expect(screen.getByTestId('banner-offline').textContent).toContain('Offline (tester switch)');
    fireEvent.click(screen.getByRole('button', { name: 'Go back online' }));
    expect(onGoOnline).toHaveBeenCalledOnce();
    rerender(
      <Banners
        status={status({ session: 'expired', pendingCount: 1 })}
        now={NOW}
        onRetry={noop}
        onGoOnline={noop}
      />,
    );
    expect(screen.queryByTestId('banner-offline')).toBeNull();
    expect(screen.getByTestId('banner-session').textContent).toContain('log in again as a@b.co');
    rerender(<Banners status={status()} now={NOW} onRetry={noop} onGoOnline={noop} />);
    expect(screen.queryByTestId('banner-session')).toBeNull();
  });
});

describe('StatusBar', () => {
  it('never shows an old error next to a green state; an error opens its details', () => {
    const { rerender } = render(<StatusBar status={status({ lastError: 'fetch failed' })} now={NOW} />);
    expect(screen.getByTestId('connection').textContent).toBe('Online');
    expect(screen.queryByTestId('status-error')).toBeNull();
    rerender(
      <StatusBar
        status={status({ connection: 'failing', lastError: 'HTTP 500: boom', retryAt: NOW + 5_000 })}
        now={NOW}
      />,
    );
    expect(screen.getByTestId('connection').textContent).toBe('Server failing — retrying in 5 s');
    fireEvent.click(screen.getByTestId('status-error'));
    expect(screen.getByRole('dialog', { name: 'Error details' }).textContent).toContain('HTTP 500: boom');
  });
  it("the tester's offline switch is a calm state: its own words, no countdown, no error", () => {
    const off = status({
      connection: 'offline',
      lastError: 'offline (simulated)',
      retryAt: NOW + 5_000,
      tester: { offline: true, clockSkewMs: 0 },
    });
    render(<StatusBar status={off} now={NOW} />);
    const connection = screen.getByTestId('connection');
    expect(connection.textContent).toBe('Offline (tester switch)');
    expect(connection.className).toContain('statusbar__conn--offline');
    expect(screen.queryByTestId('status-error')).toBeNull();
    expect(announcement(off)).toBe('Offline (tester switch). 0 edits pending.');
  });
  it('pending and conflicts jump to their panels', () => {
    const onShowOutbox = vi.fn();
    const onShowConflicts = vi.fn();
    render(
      <StatusBar
        status={status({ pendingCount: 3, conflictCount: 1 })}
        now={NOW}
        onShowOutbox={onShowOutbox}
        onShowConflicts={onShowConflicts}
      />,
    );
    fireEvent.click(screen.getByRole('button', { name: /3 pending/ }));
    fireEvent.click(screen.getByRole('button', { name: /1 conflict,/ }));
    expect(onShowOutbox).toHaveBeenCalledOnce();
    expect(onShowConflicts).toHaveBeenCalledOnce();
  });
});

describe('Announcer', () => {
  it('announces connection, outbox and conflict changes politely, not countdowns or "Syncing…"', () => {
    const { rerender } = render(<Announcer status={status({ connection: 'offline', pendingCount: 1 })} />);
    const region = screen.getByTestId('announcer');
    expect(region.getAttribute('aria-live')).toBe('polite');
    expect(region.textContent).toBe('Offline. 1 edit pending.');
    rerender(<Announcer status={status({ syncing: true, pendingCount: 0, conflictCount: 2 })} />);
    expect(region.textContent).toBe('Online. 0 edits pending. 2 conflicts.');
    expect(announcement(status({ connection: 'unreachable', retryAt: NOW + 9_000 }))).toBe(
      'Server unreachable. 0 edits pending.',
    );
  });
});

describe('ConfirmDialog', () => {
  it('puts the focus on the safe answer; Escape cancels', () => {
    const onConfirm = vi.fn();
    const onCancel = vi.fn();
    render(
      <ConfirmDialog title="Leave?" confirmLabel="Log out anyway" onConfirm={onConfirm} onCancel={onCancel}>
        <p>Data is lost.</p>
      </ConfirmDialog>,
    );
    expect(document.activeElement?.textContent).toBe('Cancel');
    fireEvent(screen.getByRole('dialog', { hidden: true }), new Event('cancel', { cancelable: true }));
    expect(onCancel).toHaveBeenCalledOnce();
    fireEvent.click(screen.getByRole('button', { name: 'Log out anyway', hidden: true }));
    expect(onConfirm).toHaveBeenCalledOnce();
  });
});
