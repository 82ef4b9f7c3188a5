/**
 * The one UI ⇄ engine contract: command names with their argument schemas and result types,
 * and the one event. Electron main's IPC handlers and the web-mode host both serve exactly
 * this (through `createHandlers`), the preload and the web bridge expose exactly this, and the
 * renderer's `AppApi` type is derived from it. Only plain JSON crosses it; custom data values
 * travel as relaxed EJSON so dates and ids survive.
 */
import { z } from 'zod';
import { editablePathProblem } from '../model/index.js';
import type { COMMAND_NAMES } from './commands.js';
import type { ClientStatus, Conflict, OutboxEntry } from './ui-model.js';

export { COMMAND_NAMES, IPC_PREFIX, STATE_EVENT } from './commands.js';
export * from './ui-model.js';

const credentials = z.object({
  email: z.string().trim().min(3).max(254),
  password: z.string().min(1).max(128),
});
/** A field the user may edit, by the model's rule (the engine checks it again). */
const path = z.string().superRefine((value, ctx) => {
  const problem = editablePathProblem(value);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});
/** A new password: the server's own rule (6 to 128 characters). */
const newPassword = z
  .string()
  .min(6, 'the password must be 6 to 128 characters long')
  .max(128, 'the password must be 6 to 128 characters long');

export const commandSchemas = {
  getState: z.object({}),
  register: credentials,
  logIn: z.union([credentials, z.object({ anonymous: z.literal(true) })]),
  logOut: z.object({}),
  /** Mails a reset link to this address. */
  requestPasswordReset: z.object({ email: credentials.shape.email }),
  /** The `token` and `tokenId` of the mailed link (the renderer takes them from the pasted link). */
  resetPassword: z.object({
    token: z.string().trim().min(1).max(512),
    tokenId: z.string().trim().min(1).max(64),
    password: newPassword,
  }),
  /** Turns the anonymous user into an e-mail account; the user id and data stay. */
  createAccount: z.object({ email: credentials.shape.email, password: newPassword }),
  /** `value` is relaxed EJSON (e.g. `{ "$date": "…" }` for a date). */
  set: z.object({ path, value: z.unknown() }),
  unset: z.object({ path }),
  refresh: z.object({}),
  retryOutbox: z.object({ seq: z.number().int().positive().optional() }),
  discardEdit: z.object({ seq: z.number().int().positive() }),
  dismissConflict: z.object({ id: z.number().int().positive() }),
  setOffline: z.object({ offline: z.boolean() }),
  expireAccessToken: z.object({}),
  setClockSkew: z.object({
    ms: z
      .number()
      .int()
      .min(-86_400_000, 'at least -1440 minutes (a day behind)')
      .max(86_400_000, 'at most 1440 minutes (a day ahead)'),
  }),
  /** Tester tools that act on the backend through its admin API. */
  setTokenTtl: z.object({ seconds: z.number().int().min(1).max(86_400) }),
  revokeSession: z.object({}),
  anotherWriter: z.object({ set: z.record(z.string(), z.unknown()) }),
  /** The backend's current access-token lifetime (admin API). */
  getTokenTtl: z.object({}),
  /** "Retry now" on the connection banner: probe the server at once instead of after the backoff. */
  reconnect: z.object({}),
  /**
   * Settles a conflict: `mine` keeps the value already applied (last writer wins), `server`
   * writes the other writer's value back (or removes the field when it had none). Both dismiss it.
   */
  resolveConflict: z.object({ id: z.number().int().positive(), keep: z.enum(['mine', 'server']) }),
} as const;

export type CommandName = keyof typeof commandSchemas;
export type CommandArgs<C extends CommandName> = z.input<(typeof commandSchemas)[C]>;

/** Everything the UI renders, as one JSON value. */
export interface AppState {
  /**
   * Increases with every snapshot of one engine. A command's answer and the event stream can
   * arrive out of order; the UI keeps the newest and never goes back to an older state. The
   * same version is the same snapshot (a command's answer and the event of its change).
   */
  version: number;
  status: ClientStatus;
  /** Snapshot with pending edits applied (relaxed EJSON). */
  data: Record<string, unknown>;
  /** Server snapshot from the token (relaxed EJSON), null when logged out. */
  serverData: Record<string, unknown> | null;
  pendingPaths: string[];
  outbox: (Omit<OutboxEntry, 'value'> & { value: unknown })[];
  conflicts: Conflict[];
  /** Whether tester tools that need the backend's admin key are available. */
  adminTools: boolean;
}

export type CommandResults = {
  getState: AppState;
  register: null;
  logIn: AppState;
  logOut: AppState;
  requestPasswordReset: null;
  resetPassword: null;
  createAccount: AppState;
  set: AppState;
  unset: AppState;
  refresh: AppState;
  retryOutbox: AppState;
  discardEdit: AppState;
  dismissConflict: AppState;
  setOffline: AppState;
  expireAccessToken: AppState;
  setClockSkew: AppState;
  setTokenTtl: AppState;
  revokeSession: AppState;
  anotherWriter: AppState;
  getTokenTtl: { seconds: number };
  reconnect: AppState;
  resolveConflict: AppState;
};

/** Every command answers with this envelope: errors are values, never thrown across the boundary. */
export type Envelope<T> = { ok: true; value: T } | { ok: false; error: string };

/** The API the renderer sees (window.api in Electron, the HTTP bridge in web mode). */
export type AppApi = {
  [C in CommandName]: (args: CommandArgs<C>) => Promise<Envelope<CommandResults[C]>>;
} & {
  /** Subscribes to state changes; returns the unsubscribe function. */
  onState(listener: (state: AppState) => void): () => void;
};

// Compile-time check: the zod-free name list in commands.ts is exactly the schema keys.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : never) : never;
const namesMatch: Same<(typeof COMMAND_NAMES)[number], CommandName> = true;
void namesMatch;
