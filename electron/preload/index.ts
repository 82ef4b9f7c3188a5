/**
 * Preload (sandboxed, CommonJS): exposes exactly the contract as `window.api`, nothing else —
 * no ipcRenderer, no Node.
 */
import { contextBridge, ipcRenderer } from 'electron';
import { COMMAND_NAMES, IPC_PREFIX, STATE_EVENT } from '../../sync/app-api/commands.js';
import type { AppApi, AppState } from '../../sync/app-api/contract.js';

const api = Object.fromEntries(
  COMMAND_NAMES.map((name) => [name, (args: unknown) => ipcRenderer.invoke(`${IPC_PREFIX}${name}`, args)]),
) as Omit<AppApi, 'onState'>;

const exposed = {
  ...api,
  onState(listener: (state: AppState) => void) {
    const handler = (_event: unknown, state: AppState) => listener(state);
    ipcRenderer.on(STATE_EVENT, handler);
    return () => {
      ipcRenderer.removeListener(STATE_EVENT, handler);
    };
  },
} satisfies AppApi;

contextBridge.exposeInMainWorld('api', exposed);
