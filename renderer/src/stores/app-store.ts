/** The renderer's one store: the engine's latest state plus UI-only bits (busy command, last error). */
import { create } from 'zustand';
import type { CommandArgs, CommandName, CommandResults } from '../../../sync/app-api/contract.js';
import { type AppState, api } from '../api/index.js';

interface Store {
  state: AppState | null;
  busy: CommandName | null;
  error: string | null;
  setState(state: AppState): void;
  run<C extends CommandName>(command: C, args: CommandArgs<C>): Promise<CommandResults[C] | undefined>;
  clearError(): void;
}

export const useApp = create<Store>((set) => ({
  state: null,
  busy: null,
  error: null,
  // Keep the newest: a command's answer can arrive after a newer state from the event stream.
  setState: (state) =>
    set((current) => (current.state && current.state.version > state.version ? {} : { state })),
  async run(command, args) {
    set({ busy: command, error: null });
    const call = api[command] as unknown as (
      a: typeof args,
    ) => Promise<{ ok: true; value: unknown } | { ok: false; error: string }>;
    const result = await call(args);
    if (result.ok) {
      const value = result.value as CommandResults[typeof command];
      if (value && typeof value === 'object' && 'status' in value)
        useApp.getState().setState(value as AppState);
      set({ busy: null });
      return value;
    }
    set({ busy: null, error: result.error });
    return undefined;
  },
  clearError: () => set({ error: null }),
}));

export function connectStore(): () => void {
  void useApp.getState().run('getState', {});
  return api.onState((state) => useApp.getState().setState(state));
}
