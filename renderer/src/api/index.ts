/**
 * The only module that knows how the renderer reaches the engine: Electron's preload
 * (`window.api`) or, in web mode, the Node host's HTTP bridge. Both implement `AppApi`.
 */
import { COMMAND_NAMES } from '../../../sync/app-api/commands.js';
import type { AppApi, AppState, CommandName } from '../../../sync/app-api/contract.js';

declare global {
  interface Window {
    api?: AppApi;
  }
}

function httpBridge(): AppApi {
  const api = {} as Record<string, unknown>;
  for (const name of COMMAND_NAMES) {
    api[name] = async (args: unknown) => {
      try {
        const res = await fetch(`/bridge/${name}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(args ?? {}),
        });
        return await res.json();
      } catch (error) {
        return { ok: false, error: `the app host is not reachable (${(error as Error).message})` };
      }
    };
  }
  api.onState = (listener: (state: AppState) => void) => {
    const source = new EventSource('/bridge/events');
    source.onmessage = (event) => listener(JSON.parse(event.data) as AppState);
    return () => source.close();
  };
  return api as AppApi;
}

export const api: AppApi = window.api ?? httpBridge();
export type { AppState, CommandName };
