/**
 * The only module that knows how the renderer reaches the engine: Electron's preload
 * (`window.api`) or, in web mode, the Node host's HTTP bridge. Both implement `AppApi`.
 */
import {
  BRIDGE_TOKEN_HEADER,
  BRIDGE_TOKEN_META,
  BRIDGE_TOKEN_QUERY,
} from '../../../sync/app-api/bridge-token.js';
import { COMMAND_NAMES } from '../../../sync/app-api/commands.js';
import type { AppApi, AppState, CommandName } from '../../../sync/app-api/contract.js';

declare global {
  interface Window {
    api?: AppApi;
  }
}

function httpBridge(): AppApi {
  // The host puts a per-launch secret into index.html; every bridge request carries it.
  const token = document.querySelector(`meta[name="${BRIDGE_TOKEN_META}"]`)?.getAttribute('content') ?? '';
  const api = {} as Record<string, unknown>;
  for (const name of COMMAND_NAMES) {
    api[name] = async (args: unknown) => {
      try {
        const res = await fetch(`/bridge/${name}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', [BRIDGE_TOKEN_HEADER]: token },
          body: JSON.stringify(args ?? {}),
        });
        return await res.json();
      } catch (error) {
        return { ok: false, error: `the app host is not reachable (${(error as Error).message})` };
      }
    };
  }
  api.onState = (listener: (state: AppState) => void) => {
    const source = new EventSource(`/bridge/events?${BRIDGE_TOKEN_QUERY}=${encodeURIComponent(token)}`);
    source.onmessage = (event) => listener(JSON.parse(event.data) as AppState);
    return () => source.close();
  };
  return api as AppApi;
}

export const api: AppApi = window.api ?? httpBridge();
export type { AppState, CommandName };
