/**
 * Binds the contract to one engine. Validates every argument with the contract's zod schema
 * and answers with an `{ ok, error }` envelope; hosts (Electron IPC, the web bridge) only add
 * transport and sender checks.
 */
import { type CommandName, type CommandResults, commandSchemas, type Envelope } from '../app-api/contract.js';
import type { CustomDataClient } from '../client/index.js';
import { ADMIN_KEY_HEADER, ADMIN_PREFIX, decodeRelaxed, firstIssueText } from '../protocol/index.js';
import { AppStates } from './app-states.js';

export interface HandlerOptions {
  /** Backend origin and admin key, for the tester tools that act on the server. */
  baseUrl: string;
  adminKey?: string;
  fetch?: typeof fetch;
  /**
   * The snapshots this host's event stream sends too: commands answer with the same cached
   * snapshot instead of building their own (app-states.ts). Default: a cache of their own.
   */
  states?: AppStates;
}

export type Handlers = { [C in CommandName]: (raw: unknown) => Promise<Envelope<CommandResults[C]>> };

export function createHandlers(client: CustomDataClient, options: HandlerOptions): Handlers {
  if (options.states && options.states.client !== client) throw new Error('states of another engine');
  const states = options.states ?? new AppStates(client, { adminTools: Boolean(options.adminKey) });
  const state = () => states.current();
  const doFetch = options.fetch ?? fetch;

  async function admin(method: string, path: string, body?: unknown): Promise<unknown> {
    if (!options.adminKey)
      throw new Error('tester tools that change the server need the backend admin key (ADMIN_KEY)');
    const res = await doFetch(`${options.baseUrl}${ADMIN_PREFIX}${path}`, {
      method,
      headers: {
        [ADMIN_KEY_HEADER]: options.adminKey,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`admin API: ${res.status} ${await res.text()}`);
    return res.headers.get('content-type')?.includes('json') ? res.json() : null;
  }
  const currentUserId = () => {
    const id = client.status.user?.id;
    if (!id) throw new Error('no user is logged in');
    return id;
  };

  type Impl = { [C in CommandName]: (args: never) => Promise<CommandResults[C]> };
  const impl = {
    getState: async () => state(),
    register: async (a: { email: string; password: string }) => {
      await client.register(a.email, a.password);
      return null;
    },
    logIn: async (a: { email: string; password: string } | { anonymous: true }) => {
      await client.logIn(a);
      return state();
    },
    logOut: async () => {
      await client.logOut();
      return state();
    },
    requestPasswordReset: async (a: { email: string }) => {
      await client.requestPasswordReset(a.email);
      return null;
    },
    resetPassword: async (a: { token: string; tokenId: string; password: string }) => {
      await client.resetPassword(a);
      return null;
    },
    createAccount: async (a: { email: string; password: string }) => {
      await client.createAccount(a);
      return state();
    },
    set: async (a: { path: string; value: unknown }) => {
      await client.set(a.path, decodeRelaxed(a.value));
      return state();
    },
    unset: async (a: { path: string }) => {
      await client.unset(a.path);
      return state();
    },
    refresh: async () => {
      await client.refreshCustomData();
      return state();
    },
    retryOutbox: async (a: { seq?: number }) => {
      await client.outbox.retry(a.seq);
      return state();
    },
    discardEdit: async (a: { seq: number }) => {
      client.outbox.discard(a.seq);
      return state();
    },
    dismissConflict: async (a: { id: number }) => {
      client.conflicts.dismiss(a.id);
      return state();
    },
    setOffline: async (a: { offline: boolean }) => {
      await client.tester.setOffline(a.offline);
      return state();
    },
    expireAccessToken: async () => {
      await client.tester.expireAccessToken();
      return state();
    },
    setClockSkew: async (a: { ms: number }) => {
      client.tester.setClockSkew(a.ms);
      return state();
    },
    setTokenTtl: async (a: { seconds: number }) => {
      await admin('PUT', '/settings/access-token-ttl', { seconds: a.seconds });
      return state();
    },
    revokeSession: async () => {
      await admin('POST', `/users/${currentUserId()}/revoke-sessions`);
      return state();
    },
    anotherWriter: async (a: { set: Record<string, unknown> }) => {
      await admin('PATCH', `/users/${currentUserId()}/custom-data`, { set: a.set });
      return state();
    },
    getTokenTtl: async () => {
      const body = (await admin('GET', '/settings/access-token-ttl')) as { seconds?: unknown } | null;
      if (typeof body?.seconds !== 'number') throw new Error('admin API: no token lifetime in the answer');
      return { seconds: body.seconds };
    },
    reconnect: async () => {
      await client.notifyOnline();
      return state();
    },
    resolveConflict: async (a: { id: number; keep: 'mine' | 'server' }) => {
      const conflict = client.conflicts.list().find((c) => c.id === a.id);
      if (!conflict) throw new Error('this conflict was already resolved');
      // Last writer wins already applied mine: "server" is a new edit, queued like any other.
      if (a.keep === 'server') {
        if (conflict.server.exists) await client.set(conflict.path, conflict.server.value);
        else await client.unset(conflict.path);
      }
      client.conflicts.dismiss(a.id);
      return state();
    },
  } satisfies Impl;

  const handlers = {} as Record<CommandName, (raw: unknown) => Promise<Envelope<unknown>>>;
  for (const name of Object.keys(commandSchemas) as CommandName[]) {
    handlers[name] = async (raw: unknown) => {
      const parsed = commandSchemas[name].safeParse(raw ?? {});
      if (!parsed.success) {
        return { ok: false, error: firstIssueText(parsed.error, name, 'arguments') };
      }
      try {
        return { ok: true, value: await (impl[name] as (a: unknown) => Promise<unknown>)(parsed.data) };
      } catch (error) {
        return { ok: false, error: (error as Error).message || String(error) };
      }
    };
  }
  return handlers as Handlers;
}
