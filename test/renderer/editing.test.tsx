// @vitest-environment happy-dom
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ConflictsPanel } from '../../renderer/src/features/conflicts/ConflictsPanel.js';
import { AddField } from '../../renderer/src/features/custom-data/AddField.js';
import { CustomDataPanel } from '../../renderer/src/features/custom-data/CustomDataPanel.js';
import { ColorField } from '../../renderer/src/features/custom-data/KnownFields.js';
import { OtherFieldRow } from '../../renderer/src/features/custom-data/OtherFieldRow.js';
import { OutboxPanel, retryNote } from '../../renderer/src/features/outbox/OutboxPanel.js';
import { useApp } from '../../renderer/src/stores/app-store.js';
import type { AppState } from '../../sync/app-api/contract.js';

/** The store's `run`, answering like the engine (a state) or failing like it (an error). */
let run: ReturnType<typeof vi.fn>;
beforeEach(() => {
  run = vi.fn(async () => ({ status: {} }));
  useApp.setState({ run: run as never, error: null });
});
afterEach(cleanup);

const describedError = (input: HTMLElement) => {
  const id = input.getAttribute('aria-describedby');
  return id ? (document.getElementById(id)?.textContent ?? '') : '';
};

describe('a field edited in place', () => {
  it('Enter saves the text as the stored type (a number stays a number)', async () => {
    render(<OtherFieldRow name="age" value={14} pending={false} onRemove={() => {}} />);
    const input = screen.getByLabelText('Value of age') as HTMLInputElement;
    expect(input.value).toBe('14');
    fireEvent.change(input, { target: { value: '15' } });
    fireEvent.keyDown(input, { key: 'Enter' });
    await waitFor(() => expect(run).toHaveBeenCalledWith('set', { path: 'age', value: 15 }));
  });

  it('Escape reverts the text; an invalid value is refused next to the field until Escape', async () => {
    render(<OtherFieldRow name="age" value={14} pending={false} onRemove={() => {}} />);
    const input = screen.getByLabelText('Value of age') as HTMLInputElement;
    fireEvent.change(input, { target: { value: '99' } });
    fireEvent.keyDown(input, { key: 'Escape' });
    expect(input.value).toBe('14');

    fireEvent.change(input, { target: { value: 'abc' } });
    fireEvent.keyDown(input, { key: 'Enter' });
    await waitFor(() => expect(input.getAttribute('aria-invalid')).toBe('true'));
    expect(describedError(input)).toBe('Not a number: "abc"');
    expect(run).not.toHaveBeenCalled();
    fireEvent.keyDown(input, { key: 'Escape' });
    expect(input.value).toBe('14');
    expect(input.getAttribute('aria-invalid')).toBe('false');
    expect(input.getAttribute('aria-describedby')).toBeNull();
  });

  it('changing the type converts the value ("14" → 14), or keeps the text and says why', async () => {
    const { rerender } = render(<OtherFieldRow name="n" value="14" pending={false} onRemove={() => {}} />);
    fireEvent.change(screen.getByLabelText('Type of n'), { target: { value: 'number' } });
    await waitFor(() => expect(run).toHaveBeenCalledWith('set', { path: 'n', value: 14 }));
    rerender(<OtherFieldRow name="n" value="soon" pending={false} onRemove={() => {}} />);
    fireEvent.change(screen.getByLabelText('Type of n'), { target: { value: 'date' } });
    const input = screen.getByLabelText('Value of n');
    await waitFor(() => expect(describedError(input)).toMatch(/Not a date: "soon"/));
    expect(run).toHaveBeenCalledTimes(1);
  });

  it("shows the engine's refusal on the field, not only in the global alert", async () => {
    run.mockImplementation(async () => {
      useApp.setState({ error: 'set: value: too large' });
      return undefined;
    });
    render(<OtherFieldRow name="note" value="a" pending={false} onRemove={() => {}} />);
    const input = screen.getByLabelText('Value of note');
    fireEvent.change(input, { target: { value: 'b' } });
    fireEvent.keyDown(input, { key: 'Enter' });
    await waitFor(() => expect(describedError(input)).toBe('set: value: too large'));
    expect(useApp.getState().error).toBeNull();
  });
});

describe('Add field', () => {
  it('keeps what was typed and says why, tied to the input at fault', async () => {
    render(<AddField existing={['age']} />);
    const name = screen.getByLabelText('New field name') as HTMLInputElement;
    const value = screen.getByLabelText('New field value') as HTMLInputElement;
    fireEvent.change(name, { target: { value: 'shoe size' } });
    fireEvent.change(screen.getByLabelText('New field type'), { target: { value: 'number' } });
    fireEvent.change(value, { target: { value: 'big' } });
    fireEvent.click(screen.getByRole('button', { name: 'Add field' }));
    await waitFor(() => expect(name.getAttribute('aria-invalid')).toBe('true'));
    expect(describedError(name)).toMatch(/letters, digits/);
    expect(describedError(value)).toBe('Not a number: "big"');
    expect([name.value, value.value]).toEqual(['shoe size', 'big']);
    expect(run).not.toHaveBeenCalled();

    fireEvent.change(name, { target: { value: 'shoeSize' } });
    fireEvent.change(value, { target: { value: '42' } });
    fireEvent.click(screen.getByRole('button', { name: 'Add field' }));
    await waitFor(() => expect(run).toHaveBeenCalledWith('set', { path: 'shoeSize', value: 42 }));
    await waitFor(() => expect(name.value).toBe(''));
  });
});

describe('favourite colour', () => {
  it('paints a named colour, shows "no colour" when empty, and refuses nonsense', async () => {
    const { rerender } = render(<ColorField value="navy" pending={false} />);
    const swatch = screen.getByTestId('color-swatch');
    expect(swatch.getAttribute('data-color')).toBe('#000080');
    expect((screen.getByLabelText('Favorite color picker') as HTMLInputElement).value).toBe('#000080');
    rerender(<ColorField value={undefined} pending={false} />);
    expect(swatch.className).toMatch(/swatch--none/);
    const input = screen.getByLabelText('Favorite color');
    fireEvent.change(input, { target: { value: 'blurple' } });
    fireEvent.keyDown(input, { key: 'Enter' });
    await waitFor(() => expect(describedError(input)).toMatch(/Not a colour/));
    expect(run).not.toHaveBeenCalled();
  });
});

const entry = (over: Partial<AppState['outbox'][number]> = {}): AppState['outbox'][number] => ({
  seq: 1,
  path: 'age',
  op: 'set',
  value: 15,
  createdAt: 0,
  attempts: 0,
  lastError: null,
  inFlight: false,
  rejectedReason: null,
  ...over,
});

describe('outbox Retry', () => {
  it('says why it cannot send while offline', () => {
    render(
      <OutboxPanel
        outbox={[entry()]}
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
    const button = screen.getByRole('button', { name: 'Retry now' });
    expect(button.getAttribute('aria-describedby')).toBeNull();
    fireEvent.click(button);
    const note = document.getElementById(button.getAttribute('aria-describedby') as string);
    expect(note?.textContent).toMatch(/Can't send now: offline \(tester switch\)/);
  });
  it('tells a refusal after the retry apart from the one before it', () => {
    const attempt = { maxSeq: 3, paths: new Set(['userId']) };
    const before = [entry({ seq: 3, path: 'userId', rejectedReason: 'cannot be edited' })];
    const online = { connection: 'online' as const };
    expect(retryNote(attempt, before, online, false)).toBeNull();
    const after = [entry({ seq: 4, path: 'userId', rejectedReason: 'cannot be edited' })];
    expect(retryNote(attempt, after, online, false)).toMatch(
      /Refused again by the server: userId: cannot be edited/,
    );
    expect(retryNote(attempt, after, online, true)).toMatch(/session expired/);
    expect(
      retryNote(
        attempt,
        [entry({ seq: 4 })],
        { connection: 'unreachable', lastError: 'ECONNREFUSED' },
        false,
      ),
    ).toMatch(/can't be reached \(ECONNREFUSED\)/);
    expect(retryNote(attempt, [], { connection: 'offline' }, false)).toBeNull();
  });
});

describe('conflicts', () => {
  it('resolves every conflict one way with "Use server for all" / "Keep all mine"', () => {
    const onResolve = vi.fn();
    const conflict = (id: number, path: string): AppState['conflicts'][number] => ({
      id,
      path,
      base: { exists: true, value: 1 },
      server: { exists: false },
      mine: { op: 'set', value: { $date: '2020-01-01T00:00:00.000Z' } },
      detectedAt: 0,
    });
    render(<ConflictsPanel conflicts={[conflict(1, 'a'), conflict(2, 'b')]} onResolve={onResolve} />);
    // Typed values read as values: a date as its day, an absent server value as absent.
    const cells = [...(screen.getAllByTestId('conflict-row')[0]?.querySelectorAll('td') ?? [])].map(
      (c) => c.textContent,
    );
    expect(cells.slice(0, 4)).toEqual(['a', '1', '(absent)', '2020-01-01']);
    fireEvent.click(screen.getByRole('button', { name: 'Use server for all' }));
    fireEvent.click(screen.getByRole('button', { name: 'Keep all mine' }));
    expect(onResolve.mock.calls).toEqual([
      [1, 'server'],
      [2, 'server'],
      [1, 'mine'],
      [2, 'mine'],
    ]);
  });
});

describe('a removal made offline', () => {
  const state = (inFlight: boolean) =>
    ({
      status: { user: null },
      data: { age: 1 },
      serverData: { age: 1, prefs: { theme: 'dark' } },
      pendingPaths: ['prefs'],
      outbox: [entry({ seq: 9, path: 'prefs', op: 'unset', value: undefined, inFlight })],
      conflicts: [],
    }) as unknown as AppState;
  it('shows as pending with what it was, and Undo discards the edit', async () => {
    render(<CustomDataPanel state={state(false)} />);
    const row = screen.getByTestId('removed-row');
    expect(row.textContent).toMatch(/prefs.*removal pending.*was \{"theme":"dark"\}/);
    fireEvent.click(screen.getByRole('button', { name: 'Undo removal of prefs' }));
    await waitFor(() => expect(run).toHaveBeenCalledWith('discardEdit', { seq: 9 }));
  });
  it('cannot be undone once sent, and says why', () => {
    render(<CustomDataPanel state={state(true)} />);
    const undo = screen.getByRole('button', { name: 'Undo removal of prefs' }) as HTMLButtonElement;
    expect(undo.disabled).toBe(true);
    expect(undo.title).toMatch(/may have reached the server/);
  });
});

describe('the owner field', () => {
  it("is hidden whatever the server names it: the top-level field holding the user's own id", () => {
    const state = {
      status: { user: { id: 'u-1', provider: 'local-userpass', email: 'a@b.c' } },
      data: { _id: { $oid: '0123456789abcdef01234567' }, ownerId: 'u-1', nickname: 'u-1x', team: 'u-2' },
      serverData: null,
      pendingPaths: [],
      outbox: [],
      conflicts: [],
    } as unknown as AppState;
    render(<CustomDataPanel state={state} />);
    expect(screen.queryByLabelText('Value of ownerId')).toBeNull();
    expect(screen.queryByLabelText('Value of _id')).toBeNull();
    expect(screen.getByLabelText('Value of nickname')).toBeTruthy();
    expect(screen.getByLabelText('Value of team')).toBeTruthy();
  });
});
