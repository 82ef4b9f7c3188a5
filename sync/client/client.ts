/**
 * The offline-first custom data engine: a facade over parts that do not import each other —
 * session.ts (tokens, renewal), outbox.ts (queue, batches, acks), connection.ts (probe, backoff;
 * its header has the state diagram), conflicts.ts (pure), status-value.ts (the one status value),
 * live-link.ts (push) and server-clock.ts (server time) — each handed small functions by this
 * file (`push(batch)`, `renew()`, `onReconnect()`); sign-in and the account in account.ts, whose
 * errors become sentences in auth-errors.ts.
 *
 * SQLite is the source of truth: every change is committed before it is reported, and events
 * fire after the commit. Time, network, timers and secrets are injected.
 */
import type { ClientStatus, ClientUser, Conflict, OutboxEntry, Staleness } from '../model/index.js';
import { type AccountActions, accountActions, type Credentials } from './account.js';
import { assemble, type ClientOptions, type Parts, statusInputOf } from './assemble-parts.js';
import { toConflict } from './conflicts.js';
import type { ConnectionLoop } from './connection.js';
import { errorMessage, NotLoggedInError } from './engine-errors.js';
import type { LiveLink } from './live-link.js';
import type { Outbox, PendingField } from './outbox.js';
import type { ClientLogger } from './ports.js';
import type { Session } from './session.js';
import type { EditOpName, LocalStore } from './sqlite/local-store.js';
import { buildStatus, stalenessOf } from './status-value.js';
import { type TesterHooks, testerHooks } from './tester.js';
import type { Transport } from './transport.js';

export type {
  ClientStatus,
  ClientUser,
  Conflict,
  Connection,
  OutboxEntry,
  SessionStatus,
} from '../model/index.js';
export type { Credentials } from './account.js';
export type { ClientOptions } from './assemble-parts.js';
export { AUTH_SENTENCES, AuthRefusedError, authErrorSentence } from './auth-errors.js';
export { NotLoggedInError, SessionExpiredError, UserChangedError } from './engine-errors.js';
export type { PendingField } from './outbox.js';

export interface CustomDataView {
  /** Server snapshot with pending edits applied. */
  data: Record<string, unknown>;
  /** Fields with edits not yet acknowledged by the server. */
  pending: Record<string, PendingField>;
}

export class CustomDataClient {
  private readonly store: LocalStore;
  private readonly transport: Transport;
  private readonly logger: ClientLogger;
  private readonly listeners = new Set<(status: ClientStatus) => void>();
  private readonly changeListeners = new Set<() => void>();
  private readonly closing = new AbortController();
  private readonly connection: ConnectionLoop;
  private readonly session: Session;
  private readonly edits: Outbox;
  private readonly live: LiveLink | undefined;
  private readonly parts: Parts;
  private readonly account: AccountActions;
  /** Tester tools (tester.ts): a simulated outage, an expired token, a wrong device clock. */
  readonly tester: TesterHooks;

  constructor(options: ClientOptions) {
    const parts = assemble(options, {
      signal: this.closing.signal,
      changed: () => this.emit(),
      onReconnect: () => this.onReconnect(),
    });
    this.store = parts.store;
    this.transport = parts.transport;
    this.logger = parts.logger;
    this.connection = parts.connection;
    this.session = parts.session;
    this.edits = parts.outbox;
    this.live = parts.live;
    this.parts = parts;
    this.tester = testerHooks(parts, { changed: () => this.emit(), notifyOnline: () => this.notifyOnline() });
    this.account = accountActions(parts, { changed: () => this.emit(), flush: () => this.flush() });
  }

  // --- reading ------------------------------------------------------------------------------

  /** The server snapshot from the current token (read-only), or null when nobody is logged in. */
  get customData(): Record<string, unknown> | null {
    return this.session.userId && this.session.cache ? this.session.snapshot : null;
  }

  /** The snapshot with pending edits applied, and which fields are pending. */
  get view(): CustomDataView {
    return this.edits.view(this.session.userId, this.session.snapshot);
  }

  get status(): ClientStatus {
    return buildStatus(statusInputOf(this.parts));
  }

  /** Staleness now, in server time (the device clock, with the tester's skew, corrected by the measured offset). */
  staleness(): Staleness {
    return stalenessOf(statusInputOf(this.parts));
  }

  subscribe(listener: (status: ClientStatus) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Told of every change without the status being computed: a host reads what it needs once. */
  onChange(listener: () => void): () => void {
    this.changeListeners.add(listener);
    return () => this.changeListeners.delete(listener);
  }

  // --- lifecycle ----------------------------------------------------------------------------

  /** Starts connectivity probing (and so flushing and renewal). Called by `openClient`. */
  start(): void {
    this.connection
      .probeNow()
      .catch((error: unknown) => this.logger.warn('first probe failed', { error: errorMessage(error) }));
  }

  /** A host saw the network go away: shown as "offline" rather than "server unreachable". */
  notifyOffline(): void {
    this.connection.notifyOffline();
  }

  /** A host saw the network come back or the machine wake up: probe now instead of waiting. */
  notifyOnline(): Promise<void> {
    return this.connection.notifyOnline();
  }

  async close(): Promise<void> {
    if (this.closing.signal.aborted) return;
    this.closing.abort();
    this.live?.stop();
    await Promise.allSettled([this.edits.inFlight, this.session.inFlight, this.connection.pending]);
    this.listeners.clear();
    this.changeListeners.clear();
    this.store.close();
  }

  // --- auth ---------------------------------------------------------------------------------

  register(email: string, password: string): Promise<void> {
    return this.account.register(email, password);
  }

  logIn(credentials: Credentials | { anonymous: true }): Promise<ClientUser> {
    return this.account.logIn(credentials);
  }

  /** Mails a reset link to `email` (`<resetPasswordUrl>?token=…&tokenId=…`). */
  requestPasswordReset(email: string): Promise<void> {
    return this.account.requestPasswordReset(email);
  }

  /** Sets a new password with the token and token id of the mailed link (used once). */
  resetPassword(reset: { token: string; tokenId: string; password: string }): Promise<void> {
    return this.account.resetPassword(reset);
  }

  /**
   * Turns the logged-in anonymous user into an e-mail account: same user id, so the cache, the
   * outbox and the custom data stay; a later re-login asks for this e-mail.
   */
  createAccount(credentials: Credentials): Promise<ClientUser> {
    return this.account.createAccount(credentials);
  }

  /** Ends the session. The outbox and cache stay on disk (never dropped) for this user's next login. */
  async logOut(): Promise<void> {
    const session = this.session.row;
    if (!session || !this.session.userId) return;
    if (session.refreshToken) {
      await this.transport.logout(session.refreshToken).catch((error: unknown) => {
        this.logger.warn('logout request failed; the session ends locally', { error: errorMessage(error) });
      });
    }
    this.session.end();
    this.emit();
  }

  // --- edits --------------------------------------------------------------------------------

  /** Sets a field (dotted paths allowed). Resolves once the edit is durably in the outbox. */
  async set(path: string, value: unknown): Promise<number> {
    if (value === undefined) return this.unset(path);
    return this.edit('set', path, value);
  }

  async unset(path: string): Promise<number> {
    return this.edit('unset', path, undefined);
  }

  /** Adds to a numeric field; applied exactly once however often the batch is re-sent. */
  async increment(path: string, by = 1): Promise<number> {
    if (!Number.isFinite(by)) throw new TypeError('increment needs a finite number');
    return this.edit('inc', path, by);
  }

  private async edit(op: EditOpName, path: string, value: unknown): Promise<number> {
    const seq = this.edits.add(this.requireUser(), op, path, value);
    this.emit();
    return seq;
  }

  // --- outbox and conflicts -----------------------------------------------------------------

  readonly outbox = {
    list: (): OutboxEntry[] => (this.session.userId ? this.edits.list(this.session.userId) : []),
    /** Sends again now: rejected edits (one, or all) become pending, then a flush runs. */
    retry: async (seq?: number): Promise<void> => {
      this.store.retryRejected(this.requireUser(), seq);
      this.emit();
      await this.notifyOnline();
      await this.flush();
    },
    /** Discards a pending or rejected edit; an edit being sent cannot be (it may already be applied). */
    discard: (seq: number): boolean => {
      const outcome = this.store.discardEdit(this.requireUser(), seq);
      if (outcome === 'in-flight') {
        throw new Error(
          'this edit is being sent and may already be applied; it can be discarded only if the server refuses it',
        );
      }
      if (outcome === 'discarded') this.emit();
      return outcome === 'discarded';
    },
  };

  readonly conflicts = {
    list: (): Conflict[] =>
      this.session.userId ? this.store.conflicts(this.session.userId).map(toConflict) : [],
    dismiss: (id: number): boolean => {
      const removed = this.store.dismissConflict(this.requireUser(), id);
      if (removed) this.emit();
      return removed;
    },
  };

  // --- sync ---------------------------------------------------------------------------------

  /** Sends the outbox in order, batch by batch. Resolves to whether anything was sent. */
  flush(): Promise<boolean> {
    return this.edits.flush();
  }

  /** Renews the access token now; the new token carries the current custom data. */
  async refreshCustomData(): Promise<Record<string, unknown> | null> {
    // The tester's offline switch is a state the status shows; a request could only fail.
    if (this.transport.forcedOffline) return this.customData;
    await this.session.renew();
    return this.customData;
  }

  /** Reachable again: flush first (so the refresh sees our edits), then renew to refresh custom data. */
  private async onReconnect(): Promise<void> {
    const canSync = () => this.session.canSend && this.connection.usable;
    if (!canSync()) return;
    const sent = await this.flush().catch((error: unknown) => {
      this.logger.warn('flush after reconnecting failed', { error: errorMessage(error) });
      return false;
    });
    // A flush that sent edits already confirmed the data; otherwise renew now for fresh data.
    if (!sent && canSync()) await this.session.renewQuietly();
  }

  // --- internals ----------------------------------------------------------------------------

  private requireUser(): string {
    if (!this.session.userId) throw new NotLoggedInError();
    return this.session.userId;
  }

  /** Keeps the live subscription open exactly while online with an active session. */
  private followLive(): void {
    const want =
      this.session.canSend &&
      this.connection.state === 'online' &&
      !this.transport.forcedOffline &&
      !this.connection.hostOffline
        ? this.session.userId
        : null;
    this.live?.follow(want);
  }

  private emit(): void {
    if (this.closing.signal.aborted) return;
    this.followLive();
    // The status (a SQL read) only for listeners that take it.
    const status = this.listeners.size > 0 ? this.status : undefined;
    for (const listener of [...this.changeListeners, ...this.listeners]) {
      try {
        listener(status as ClientStatus);
      } catch (error) {
        this.logger.warn('status listener threw', { error: errorMessage(error) });
      }
    }
  }
}

/** Opens the engine: the cached data is readable immediately (no network); syncing starts in the background. */
export function openClient(options: ClientOptions): CustomDataClient {
  const client = new CustomDataClient(options);
  client.start();
  return client;
}
