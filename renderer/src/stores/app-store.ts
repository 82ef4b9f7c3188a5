/** The renderer's one store: the engine's latest state plus UI-only bits (busy command, last error, notice). */
import { create } from 'zustand';
import type { CommandArgs, CommandName, CommandResults, Envelope } from '../../../sync/app-api/contract.js';
import { type AppState, api } from '../api/index.js';

/** The tester's "go offline" switch lives in the engine's memory: the renderer remembers it across host restarts. */
export const SIMULATED_OFFLINE_KEY = 'cdd:simulated-offline';

interface Store {
  state: AppState | null;
  busy: CommandName | null;
  error: string | null;
  /** Whether the error happened while not connected: it is stale once the connection is back. */
  errorWhileDisconnected: boolean;
  /** A one-off message for the user (e.g. the simulated offline switch was restored). */
  notice: string | null;
  setState(state: AppState): void;
  run<C extends CommandName>(command: C, args: CommandArgs<C>): Promise<CommandResults[C] | undefined>;
  /**
   * Like `run`, for a form that shows its own error next to its fields: the answer comes back
   * as the envelope and the app-wide error stays untouched.
   */
  attempt<C extends CommandName>(command: C, args: CommandArgs<C>): Promise<Envelope<CommandResults[C]>>;
  clearError(): void;
  clearNotice(): void;
}

const storage = (): Storage | null => {
  try {
    // The window's, not a bare global: Node ≥ 25 defines its own `localStorage` (undefined
    // without --localstorage-file), which shadows a DOM test environment's.
    return (globalThis as { window?: Window }).window?.localStorage ?? null;
  } catch {
    return null;
  }
};
let offlineToggleInFlight = false;
let restoringOffline = false;
/** The notice says simulated offline is on again: it goes when the switch is off. */
let noticeIsOfflineRestored = false;

export const useApp = create<Store>((set, get) => ({
  state: null,
  busy: null,
  error: null,
  errorWhileDisconnected: false,
  notice: null,
  // Keep the newest: a command's answer can arrive after a newer state from the event stream.
  // The same version is the same snapshot (a command's answer and its event): nothing to render.
  setState: (state) => {
    const current = get();
    if (current.state && current.state.version >= state.version) return;
    const connected = state.status?.connection === 'online';
    // Never a stale error next to a green state.
    const clear = current.error !== null && current.errorWhileDisconnected && connected;
    set(clear ? { state, error: null, errorWhileDisconnected: false } : { state });
    if (noticeIsOfflineRestored && !restoringOffline && state.status?.tester?.offline === false) {
      noticeIsOfflineRestored = false;
      set({ notice: null });
    }
    restoreSimulatedOffline(state);
  },
  async run(command, args) {
    set({ error: null });
    if (command === 'setOffline') {
      offlineToggleInFlight = true;
      storage()?.setItem(SIMULATED_OFFLINE_KEY, (args as { offline: boolean }).offline ? '1' : '0');
    }
    const result = await get().attempt(command, args);
    if (command === 'setOffline') offlineToggleInFlight = false;
    if (result.ok) return result.value;
    const connection = get().state?.status.connection;
    set({ error: result.error, errorWhileDisconnected: connection !== 'online' });
    return undefined;
  },
  async attempt(command, args) {
    set({ busy: command });
    const call = api[command] as unknown as (a: typeof args) => Promise<Envelope<unknown>>;
    const result = await call(args);
    if (result.ok) {
      const value = result.value;
      if (value && typeof value === 'object' && 'status' in value)
        useApp.getState().setState(value as AppState);
    }
    set({ busy: null });
    return result as Envelope<CommandResults[typeof command]>;
  },
  clearError: () => set({ error: null, errorWhileDisconnected: false }),
  clearNotice: () => {
    noticeIsOfflineRestored = false;
    set({ notice: null });
  },
}));

/** A restarted host forgot the tester's switch: turn it back on and say so. */
function restoreSimulatedOffline(state: AppState): void {
  if (offlineToggleInFlight || restoringOffline || state.status?.tester?.offline !== false) return;
  if (storage()?.getItem(SIMULATED_OFFLINE_KEY) !== '1') return;
  restoringOffline = true;
  void useApp
    .getState()
    .run('setOffline', { offline: true })
    .then((done) => {
      restoringOffline = false;
      noticeIsOfflineRestored = done !== undefined;
      useApp.setState({
        notice: done
          ? "The app restarted: the tester's offline switch is on again. Use 'Go online' to reconnect."
          : "The app restarted and the tester's offline switch could not be restored: the app is online.",
      });
      if (!done) storage()?.setItem(SIMULATED_OFFLINE_KEY, '0');
    });
}

export function connectStore(): () => void {
  void useApp.getState().run('getState', {});
  return api.onState((state) => useApp.getState().setState(state));
}
