// @vitest-environment happy-dom
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { AppState } from '../../sync/app-api/contract.js';

const calls: { name: string; args: unknown }[] = [];
let answer: (name: string) => { ok: true; value: unknown } | { ok: false; error: string } = () => ({
  ok: true,
  value: null,
});
vi.mock('../../renderer/src/api/index.js', () => ({
  api: new Proxy(
    {},
    {
      get: (_t, name: string) => async (args: unknown) => {
        calls.push({ name, args });
        return answer(name);
      },
    },
  ),
}));
const { SIMULATED_OFFLINE_KEY, useApp } = await import('../../renderer/src/stores/app-store.js');

let version = 10;
const state = (connection: string, offline: boolean) =>
  ({
    version: ++version,
    status: { connection, tester: { offline, clockSkewMs: 0 } },
  }) as unknown as AppState;

beforeEach(() => {
  calls.length = 0;
  window.localStorage.clear();
  useApp.setState({ state: null, error: null, errorWhileDisconnected: false, notice: null });
});

describe('renderer store: status honesty', () => {
  it('a restarted host forgot simulated offline: the page turns it back on and says so', async () => {
    answer = () => ({ ok: true, value: state('offline', true) });
    await useApp.getState().run('setOffline', { offline: true });
    expect(window.localStorage.getItem(SIMULATED_OFFLINE_KEY)).toBe('1');
    calls.length = 0;
    // The new engine's first state: online, switch off.
    useApp.getState().setState(state('online', false));
    await vi.waitFor(() => expect(useApp.getState().notice).toContain("tester's offline switch"));
    expect(calls).toEqual([{ name: 'setOffline', args: { offline: true } }]);
    expect(useApp.getState().state?.status.tester.offline).toBe(true);
    // The notice goes with its cause: the tester goes online.
    answer = () => ({ ok: true, value: state('online', false) });
    await useApp.getState().run('setOffline', { offline: false });
    expect(useApp.getState().notice).toBeNull();
  });
  it('going online by hand is remembered: no restore after it', async () => {
    answer = () => ({ ok: true, value: state('online', false) });
    await useApp.getState().run('setOffline', { offline: false });
    calls.length = 0;
    useApp.getState().setState(state('online', false));
    expect(calls).toEqual([]);
    expect(useApp.getState().notice).toBeNull();
  });
  it('an error from while disconnected goes away once the connection is back; others stay', async () => {
    useApp.getState().setState(state('unreachable', false));
    answer = () => ({ ok: false, error: 'fetch failed' });
    await useApp.getState().run('refresh', {});
    expect(useApp.getState().error).toBe('fetch failed');
    useApp.getState().setState(state('online', false));
    expect(useApp.getState().error).toBeNull();
    answer = () => ({ ok: false, error: 'set: value too large' });
    await useApp.getState().run('set', { path: 'a', value: 'b' });
    useApp.getState().setState(state('online', false));
    expect(useApp.getState().error).toBe('set: value too large');
  });
});
