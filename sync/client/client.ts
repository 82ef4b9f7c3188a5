/**
 * The offline-first custom data engine. State machine, in short:
 *
 *   connection:  connecting ──ok──▶ online ──network error──▶ unreachable ──probe / batch ok──▶ online
 *                                    │   ▲                     (offline when the host or tester says so)
 *                                    │   └── flush or renewal ok ──┐
 *                                    └── 5xx / 429 / renewal failed ──▶ failing (same backoff, probe → flush → renew)
 *   reconnecting with queued edits sends the batch first (it is the probe); its answer carries the
 *   document after it, which confirms the snapshot. With nothing to send: probe, then renew.
 *   session:     active ──refresh refused (401)──▶ expired (outbox paused, kept) ──same user logs in──▶ active
 *   time:        server time = device clock + offset measured from responses' Date header.
 *
 * SQLite is the source of truth: every change is committed before it is reported, and events
 * fire after the commit. Time, network, timers and secrets are injected.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  type ClientStatus,
  type ClientUser,
  type Conflict,
  type Connection,
  computeStaleness,
  type OutboxEntry,
  type SessionStatus,
  type Staleness,
} from '../app-api/status.js';
import {
  APPLY_EDITS_FUNCTION,
  type EditBatchResult,
  fieldPathSchema,
  isPlainObject,
  readPath,
} from '../protocol/index.js';
import { detectConflicts } from './conflicts.js';
import { applyEdit, coalesce, decodeValue, encodeValue } from './edits.js';
import { type LiveChange, type LiveState, LiveSubscription, type LiveTarget } from './live.js';
import {
  type ClientLogger,
  type Clock,
  type FetchLike,
  plainSecretStore,
  type SecretStore,
  silentLogger,
  systemClock,
  systemTimers,
  type Timers,
} from './ports.js';
import { type CustomDataRow, type EditOpName, LocalStore, type SessionRow } from './sqlite/store.js';
import { parseUserData, readAccessToken } from './token.js';
import { HttpError, NetworkError, Transport } from './transport.js';

export interface ClientOptions {
  /** Backend origin, e.g. http://127.0.0.1:8787. */
  baseUrl: string;
  appId: string;
  /** Directory of the local database (created if missing). */
  dataDir: string;
  fetch?: FetchLike;
  clock?: Clock;
  timers?: Timers;
  /** Encrypts tokens at rest. Defaults to plain text: only acceptable in tests. */
  secretStore?: SecretStore;
  logger?: ClientLogger;
  /** In [0, 1): jitter for reconnect backoff. */
  random?: () => number;
  /** better-sqlite3 native binding for a non-Node ABI (Electron main passes its rebuilt copy). */
  sqliteNativeBinding?: string;
  /** The custom data collection to watch (the server's defaults if omitted); false: no live push. */
  live?: LiveTarget | false;
}

const DEFAULT_LIVE_TARGET: LiveTarget = {
  service: 'mongodb-atlas',
  database: 'custom-user-data-database',
  collection: 'custom-user-data',
};

export type { ClientStatus, ClientUser, Connection, SessionStatus } from '../app-api/status.js';
export interface PendingField {
  op: EditOpName;
  value: unknown;
  seq: number;
}

export interface CustomDataView {
  /** Server snapshot with pending edits applied. */
  data: Record<string, unknown>;
  /** Fields with edits not yet acknowledged by the server. */
  pending: Record<string, PendingField>;
}

export type { Conflict, OutboxEntry } from '../app-api/status.js';

export class SessionExpiredError extends Error {
  override name = 'SessionExpiredError';
  constructor() {
    super('the session has expired: log in again to resume syncing');
  }
}

/** Another user logged in while a call for the previous one was under way. */
export class UserChangedError extends Error {
  override name = 'UserChangedError';
  constructor() {
    super('another user logged in; the call was not sent');
  }
}

export class NotLoggedInError extends Error {
  override name = 'NotLoggedInError';
  constructor() {
    super('no user is logged in');
  }
}

const RECONNECT_BASE_MS = 1_000;
const RECONNECT_MAX_MS = 60_000;
/** Renew this long before expiry (at least 5 s, at most 10 % of the lifetime... whichever is larger). */
const RENEW_MARGIN_MIN_MS = 5_000;

export class CustomDataClient {
  private readonly store: LocalStore;
  private readonly transport: Transport;
  private readonly clock: Clock;
  private readonly timers: Timers;
  private readonly logger: ClientLogger;
  private readonly random: () => number;
  private readonly deviceId: string;
  private readonly listeners = new Set<(status: ClientStatus) => void>();

  private userId: string | null;
  private session: SessionRow | undefined;
  private cache: CustomDataRow | undefined;
  private snapshot: Record<string, unknown> = {};
  private connection: Connection = 'connecting';
  private syncing = false;
  private lastError: string | null = null;
  private clockSkewMs = 0;
  /** Server time minus the device clock (clock + tester skew), from `Date` headers and `iat`. */
  private serverOffsetMs = 0;
  private retryAt: number | null = null;
  private hostOffline = false;
  /** Bumped each time the connection is lost: a request sent before that proves nothing about now. */
  private offlineEpoch = 0;
  /** A reconnect attempt that sends the outbox right away instead of probing first. */
  private probeByRequest = false;
  private serverTimeKnown = false;
  private reconnectAttempt = 0;
  private probeTimer: unknown;
  private renewTimer: unknown;
  private nextRenewalAt: number | null = null;
  private renewing: Promise<void> | undefined;
  private flushing: Promise<boolean> | undefined;
  private flushRequested = false;
  private probing: Promise<void> | undefined;
  private closed = false;
  private readonly live: LiveSubscription | undefined;
  private liveUser: string | null = null;
  private liveState: LiveState = 'idle';
  /** Server time of the last keep-alive/event, once the document was re-read after (re)opening. */
  private liveConfirmedAt: number | null = null;
  private liveSynced = false;

  constructor(options: ClientOptions) {
    mkdirSync(options.dataDir, { recursive: true });
    this.store = new LocalStore(
      join(options.dataDir, 'customdata-desk.sqlite'),
      options.secretStore ?? plainSecretStore,
      options.sqliteNativeBinding,
    );
    this.transport = new Transport(
      options.baseUrl.replace(/\/+$/, ''),
      options.appId,
      options.fetch ?? ((input, init) => fetch(input, init)),
    );
    this.transport.onServerTime = (serverMs) => this.observeServerTime(serverMs);
    this.clock = options.clock ?? systemClock;
    this.timers = options.timers ?? systemTimers;
    this.logger = options.logger ?? silentLogger;
    this.random = options.random ?? Math.random;
    this.deviceId = this.store.getMeta('device_id') ?? this.createDeviceId();
    this.userId = this.store.getMeta('current_user') ?? null;
    this.loadUser();
    const fetchImpl = options.fetch ?? ((input, init) => fetch(input, init));
    if (options.live !== false)
      this.live = new LiveSubscription({
        baseUrl: options.baseUrl.replace(/\/+$/, ''),
        appId: options.appId,
        target: options.live ?? DEFAULT_LIVE_TARGET,
        fetch: fetchImpl,
        timers: this.timers,
        random: this.random,
        token: () =>
          this.liveUser && this.session?.userId === this.liveUser
            ? (this.session.accessToken ?? undefined)
            : undefined,
        renew: () => this.renew(),
        onChange: (change) => this.onPushed(change),
        onConfirm: () => this.onLiveConfirmed(),
        onOpened: () => this.onLiveOpened(),
        onState: (state, error) => {
          this.liveState = state;
          if (state !== 'open') this.liveConfirmedAt = null;
          if (error) this.logger.info('live subscription', { state, error });
          this.emit();
        },
        log: (message, fields) => this.logger.info(message, fields),
      });
  }

  // --- reading ------------------------------------------------------------------------------

  /** The server snapshot from the current token (read-only), or null when nobody is logged in. */
  get customData(): Record<string, unknown> | null {
    return this.userId && this.cache ? this.snapshot : null;
  }

  /** The snapshot with pending edits applied, and which fields are pending. */
  get view(): CustomDataView {
    const data: Record<string, unknown> = { ...this.snapshot };
    const pending: Record<string, PendingField> = {};
    if (this.userId) {
      for (const edit of this.store.viewEdits(this.userId)) {
        const value = decodeValue(edit.valueEJSON);
        applyEdit(data, edit.op, edit.path, value);
        // Acknowledged edits are synced: shown (the snapshot may not have them yet), not marked pending.
        if (edit.acked) delete pending[edit.path];
        else pending[edit.path] = { op: edit.op, value, seq: edit.seq };
      }
    }
    return { data, pending };
  }

  get status(): ClientStatus {
    const counts = this.userId ? this.store.counts(this.userId) : { pending: 0, rejected: 0, conflicts: 0 };
    const sessionStatus = this.sessionStatus();
    return {
      connection: this.connection,
      syncing: this.syncing,
      pendingCount: counts.pending,
      rejectedCount: counts.rejected,
      conflictCount: counts.conflicts,
      lastSyncedAt: this.cache?.fetchedAt ?? null,
      lastError: this.lastError,
      retryAt: this.connection === 'online' ? null : this.retryAt,
      session: sessionStatus,
      user:
        this.session && sessionStatus !== 'none'
          ? { id: this.session.userId, provider: this.session.provider, email: this.session.email }
          : null,
      token: this.cache
        ? {
            issuedAt: this.cache.issuedAt,
            expiresAt: this.cache.expiresAt,
            nextRenewalAt: this.nextRenewalAt,
          }
        : null,
      staleness: this.staleness(),
      live: {
        state:
          this.liveState === 'idle' ? 'off' : this.liveState === 'waiting' ? 'reconnecting' : this.liveState,
        confirmedAt: this.liveConfirmedAt,
      },
      serverTimeOffsetMs: this.clockSkewMs + this.serverOffsetMs,
      deviceClockOffMs: -this.serverOffsetMs,
      tester: { offline: this.transport.forcedOffline, clockSkewMs: this.clockSkewMs },
    };
  }

  /** Staleness now, in server time (the device clock, with the tester's skew, corrected by the measured offset). */
  staleness(): Staleness {
    return computeStaleness({
      now: this.now(),
      issuedAt: this.userId ? this.cache?.issuedAt : undefined,
      confirmedAt: this.userId ? this.cache?.fetchedAt : undefined,
      expiresAt: this.userId ? this.cache?.expiresAt : undefined,
      connection: this.connection,
      sessionExpired: this.session?.state === 'expired',
      nextRenewalAt: this.nextRenewalAt ?? undefined,
      liveConfirmedAt: this.liveState === 'open' ? (this.liveConfirmedAt ?? undefined) : undefined,
    });
  }

  subscribe(listener: (status: ClientStatus) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  // --- lifecycle ----------------------------------------------------------------------------

  /** Starts connectivity probing (and so flushing and renewal). Called by `openClient`. */
  start(): void {
    void this.probeNow();
  }

  /** A host saw the network go away: shown as "offline" rather than "server unreachable". */
  notifyOffline(): void {
    this.hostOffline = true;
    this.goneOffline();
  }

  /** A host saw the network come back or the machine wake up: probe now instead of waiting. */
  async notifyOnline(): Promise<void> {
    this.hostOffline = false;
    this.reconnectAttempt = 0;
    // A probe already under way may have been sent before the network came back.
    await this.probing;
    if (this.connection !== 'online') await this.probeNow();
    else if (this.canSend() && this.store.counts(this.userId as string).pending > 0) await this.flush();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.timers.clearTimeout(this.probeTimer);
    this.timers.clearTimeout(this.renewTimer);
    this.live?.stop();
    await Promise.allSettled([this.flushing, this.renewing, this.probing]);
    this.listeners.clear();
    this.store.close();
  }

  // --- auth ---------------------------------------------------------------------------------

  async register(email: string, password: string): Promise<void> {
    await this.online(() => this.transport.register(email, password));
  }

  async logIn(credentials: { email: string; password: string } | { anonymous: true }): Promise<ClientUser> {
    const response = await this.online(() =>
      'anonymous' in credentials
        ? this.transport.login('anon-user', {})
        : this.transport.login('local-userpass', {
            username: credentials.email,
            password: credentials.password,
          }),
    );
    const info = readAccessToken(response.access_token);
    const now = this.now();
    const row: SessionRow = {
      userId: response.user_id,
      provider: 'anonymous' in credentials ? 'anon-user' : 'local-userpass',
      email: 'anonymous' in credentials ? null : credentials.email.trim().toLowerCase(),
      accessToken: response.access_token,
      refreshToken: response.refresh_token ?? null,
      state: 'active',
      updatedAt: now,
    };
    this.store.transaction(() => {
      this.store.saveSession(row);
      this.store.saveCustomData({
        userId: row.userId,
        dataEJSON: info.userDataEJSON,
        issuedAt: info.issuedAt,
        expiresAt: info.expiresAt,
        fetchedAt: now,
        source: 'login',
      });
      this.store.setMeta('current_user', row.userId);
    });
    this.timers.clearTimeout(this.renewTimer);
    this.userId = row.userId;
    this.lastError = null;
    this.loadUser();
    this.setConnection('online');
    this.scheduleRenewal();
    this.emit();
    // The same user's paused outbox resumes now; another user's is never sent.
    void this.flush().catch(() => undefined);
    return { id: row.userId, provider: row.provider, email: row.email };
  }

  /** Ends the session. The outbox and cache stay on disk (never dropped) for this user's next login. */
  async logOut(): Promise<void> {
    const session = this.session;
    if (!session || !this.userId) return;
    if (session.refreshToken) {
      await this.transport.logout(session.refreshToken).catch((error: unknown) => {
        this.logger.warn('logout request failed; the session ends locally', {
          error: (error as Error).message,
        });
      });
    }
    this.store.transaction(() => {
      this.store.saveSession({
        ...session,
        accessToken: null,
        refreshToken: null,
        state: 'logged-out',
        updatedAt: this.now(),
      });
      this.store.setMeta('current_user', null);
    });
    this.timers.clearTimeout(this.renewTimer);
    this.nextRenewalAt = null;
    this.userId = null;
    this.loadUser();
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
    const userId = this.requireUser();
    const valid = fieldPathSchema.safeParse(path);
    if (!valid.success)
      throw new TypeError(`invalid field path '${path}': ${valid.error.issues[0]?.message}`);
    if (path === '_id' || path.startsWith('_id.')) throw new TypeError('_id cannot be edited');
    // The base is what the user sees now (snapshot + own pending edits): a later server value
    // that differs from it is another writer's change, i.e. a conflict.
    const base = this.viewValue(userId, path);
    const seq = this.store.addEdit({
      userId,
      path,
      op,
      valueEJSON: op === 'unset' ? null : encodeValue(value),
      baseExists: base.exists,
      baseEJSON: base.exists ? encodeValue(base.value) : null,
      createdAt: this.now(),
    });
    this.emit();
    queueMicrotask(() => void this.flush().catch(() => undefined));
    return seq;
  }

  /** The view's value at one path, computed from the edits that touch it only (O(edits to that field)). */
  private viewValue(userId: string, path: string): { exists: boolean; value?: unknown } {
    const head = path.split('.')[0] as string;
    const partial: Record<string, unknown> = head in this.snapshot ? { [head]: this.snapshot[head] } : {};
    const edits = this.store.editsTouching(userId, path);
    // Only edits after the last set/unset of this path or an ancestor can matter.
    let from = 0;
    for (let i = edits.length - 1; i >= 0; i--) {
      const e = edits[i] as (typeof edits)[number];
      if (e.op !== 'inc' && (e.path === path || path.startsWith(`${e.path}.`))) {
        from = i;
        break;
      }
    }
    for (const edit of edits.slice(from))
      applyEdit(partial, edit.op, edit.path, decodeValue(edit.valueEJSON));
    return readPath(partial, path);
  }

  // --- outbox and conflicts -----------------------------------------------------------------

  readonly outbox = {
    list: (): OutboxEntry[] =>
      this.userId
        ? this.store.edits(this.userId).map((e) => ({
            seq: e.seq,
            path: e.path,
            op: e.op,
            value: decodeValue(e.valueEJSON),
            createdAt: e.createdAt,
            attempts: e.attempts,
            lastError: e.lastError,
            inFlight: e.batchSeq !== null,
            rejectedReason: e.rejectedReason,
          }))
        : [],
    /** Sends again now: rejected edits (one, or all) become pending, then a flush runs. */
    retry: async (seq?: number): Promise<void> => {
      const userId = this.requireUser();
      this.store.retryRejected(userId, seq);
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
      this.userId
        ? this.store.conflicts(this.userId).map((c) => ({
            id: c.id,
            path: c.path,
            base: c.baseExists ? { exists: true, value: decodeValue(c.baseEJSON) } : { exists: false },
            server: c.serverExists ? { exists: true, value: decodeValue(c.serverEJSON) } : { exists: false },
            mine: { op: c.mineOp, value: decodeValue(c.mineEJSON) },
            detectedAt: c.detectedAt,
          }))
        : [],
    dismiss: (id: number): boolean => {
      const removed = this.store.dismissConflict(this.requireUser(), id);
      if (removed) this.emit();
      return removed;
    },
  };

  // --- sync ---------------------------------------------------------------------------------

  /** Sends the outbox in order, batch by batch, then renews the token to fetch custom data. Resolves to whether anything was sent. */
  flush(): Promise<boolean> {
    if (this.flushing) {
      // An edit made while a flush is finishing must not wait for the next reconnect: go round again.
      this.flushRequested = true;
      return this.flushing;
    }
    this.flushing = (async () => {
      let sent = false;
      do {
        this.flushRequested = false;
        sent = (await this.runFlush()) || sent;
      } while (this.flushRequested && this.canSync());
      return sent;
    })().finally(() => {
      this.flushing = undefined;
      this.syncing = false;
      if (!this.closed) this.emit();
    });
    return this.flushing;
  }

  private async runFlush(): Promise<boolean> {
    let sent = false;
    while (this.canSync()) {
      const userId = this.userId as string;
      const batch = this.store.takeBatch(userId);
      if (!batch) break;
      this.syncing = true;
      this.emit();
      const ops = coalesce(batch.edits);
      let result: EditBatchResult;
      try {
        result = (await this.authed(userId, (token) =>
          this.transport.callFunction(token, APPLY_EDITS_FUNCTION, [
            { deviceId: this.deviceId, seq: batch.batchSeq, ops: ops.map((o) => o.op) },
          ]),
        )) as EditBatchResult;
      } catch (error) {
        if (this.closed || error instanceof UserChangedError) return sent;
        if (
          error instanceof HttpError &&
          error.status >= 400 &&
          error.status < 500 &&
          ![401, 408, 409, 429].includes(error.status)
        ) {
          // Refused (a rule, invalid data): set aside with the reason, visible, never dropped.
          this.store.rejectBatch(batch.batchSeq, error.message);
          this.lastError = `edit rejected: ${error.message}`;
          this.emit();
          continue;
        }
        // Anything else may pass later (5xx, 429, a timeout, a lost answer): the batch stays
        // frozen under the same seq and is re-sent unchanged, so the server can recognise it.
        if (!(error instanceof SessionExpiredError))
          this.store.failBatch(batch.batchSeq, (error as Error).message);
        if (error instanceof HttpError) this.serverFailing(error, error.message);
        break;
      }
      if (this.closed) return sent;
      const now = this.now();
      const conflicts = detectConflicts(userId, ops, result, now);
      this.store.transaction(() => {
        this.store.ackBatch(batch.batchSeq, conflicts);
        // The answer carries the document after the batch: the snapshot is confirmed now and
        // holds every acknowledged edit, so they leave the outbox without a token renewal.
        if (isPlainObject(result.data) && this.cache?.userId === userId) {
          this.store.saveCustomData({ ...this.cache, dataEJSON: encodeValue(result.data), fetchedAt: now });
          this.store.dropAcked(userId, this.store.maxAckedSeq(userId));
        }
      });
      if (isPlainObject(result.data)) this.loadUser();
      this.reconnectAttempt = 0;
      if (conflicts.length) this.logger.info('conflicts recorded', { count: conflicts.length });
      this.lastError = null;
      sent = true;
      this.emit();
    }
    // Acknowledgements carrying the document already confirmed the data. Otherwise (an older
    // server) one renewal brings the acknowledged edits into the snapshot; a renewal already
    // under way may have started before the acknowledgement, so renew after it.
    if (sent && this.canSync() && this.userId && this.store.maxAckedSeq(this.userId) > 0) {
      await this.renewing?.catch(() => undefined);
      if (this.canSync()) await this.renewQuietly();
    }
    return sent;
  }

  /**
   * A renewal nobody awaits: its failure is already in the status (last error, backoff retry,
   * or the expired session), so it is only logged here.
   */
  private async renewQuietly(): Promise<void> {
    try {
      await this.renew();
    } catch (error) {
      this.logger.info('renewal failed; retried on the backoff', { error: (error as Error).message });
    }
  }

  /** Renews the access token now; the new token carries the current custom data. */
  async refreshCustomData(): Promise<Record<string, unknown> | null> {
    await this.renew();
    return this.customData;
  }

  private renew(): Promise<void> {
    this.renewing ??= this.runRenew().finally(() => {
      this.renewing = undefined;
    });
    return this.renewing;
  }

  private async runRenew(): Promise<void> {
    const session = this.session;
    if (!this.userId || !session || session.state !== 'active' || !session.refreshToken) {
      throw session?.state === 'expired' ? new SessionExpiredError() : new NotLoggedInError();
    }
    // Edits acknowledged before this request are in the token it returns.
    const ackedUpTo = this.store.maxAckedSeq(session.userId);
    let accessToken: string;
    try {
      accessToken = await this.online(() => this.transport.refresh(session.refreshToken as string));
    } catch (error) {
      if (error instanceof HttpError && error.isInvalidSession) {
        // Only a refused refresh token ends the session.
        this.expireSession(session);
        throw new SessionExpiredError();
      }
      // Anything else (5xx, 429, a timeout) may pass: retry on the connection loop's backoff,
      // whoever asked for the renewal (the timer, a flush, a reconnect). Network errors already
      // went offline and scheduled the probe in `online()`.
      if (error instanceof HttpError && !this.closed)
        this.serverFailing(error, `token renewal failed: ${error.message}`);
      throw error;
    }
    // Another login happened meanwhile: this token belongs to a session that is gone.
    if (
      this.closed ||
      this.session?.userId !== session.userId ||
      this.session.refreshToken !== session.refreshToken
    )
      return;
    const info = readAccessToken(accessToken);
    const now = this.now();
    const updated: SessionRow = { ...session, accessToken, updatedAt: now };
    this.store.transaction(() => {
      this.store.saveSession(updated);
      this.store.saveCustomData({
        userId: session.userId,
        dataEJSON: info.userDataEJSON,
        issuedAt: info.issuedAt,
        expiresAt: info.expiresAt,
        fetchedAt: now,
        source: 'refresh',
      });
      this.store.dropAcked(session.userId, ackedUpTo);
    });
    this.reconnectAttempt = 0;
    this.loadUser();
    this.lastError = null;
    this.scheduleRenewal();
    this.emit();
  }

  /** Runs a call with a valid access token: renewed first when (locally) expired, and once more on 401. */
  private async authed<T>(userId: string, call: (token: string) => Promise<T>): Promise<T> {
    if (!this.session?.accessToken || (this.cache && this.cache.expiresAt <= this.now() + 1_000))
      await this.renew();
    try {
      return await this.online(() => call(this.tokenFor(userId)));
    } catch (error) {
      if (!(error instanceof HttpError && error.isInvalidSession)) throw error;
      await this.renew();
      return this.online(() => call(this.tokenFor(userId)));
    }
  }

  /** The access token of `userId`, or an error when another user logged in meanwhile: never send one user's edits with another's token. */
  private tokenFor(userId: string): string {
    const session = this.session;
    if (this.userId !== userId || session?.userId !== userId || !session.accessToken)
      throw new UserChangedError();
    return session.accessToken;
  }

  /** Wraps a network call: success means online, a network failure means offline. */
  private async online<T>(call: () => Promise<T>): Promise<T> {
    const epoch = this.offlineEpoch;
    try {
      const result = await call();
      // An answer to a request sent before the connection was lost (a renewal under way when the
      // tester's switch or the host said "offline") does not bring the connection back.
      if (this.connection !== 'online' && epoch === this.offlineEpoch) {
        // The cause of the last connection error is gone.
        this.lastError = null;
        this.setConnection('online');
        this.emit();
        // Back without a probe (a renewal or another call got through): send what waits.
        if (this.canSend() && this.store.counts(this.userId as string).pending > 0) void this.flush();
      }
      return result;
    } catch (error) {
      if (error instanceof NetworkError) {
        this.lastError = error.message;
        this.goneOffline();
      }
      throw error;
    }
  }

  private probeNow(): Promise<void> {
    this.timers.clearTimeout(this.probeTimer);
    this.probing ??= this.runProbe();
    return this.probing;
  }

  private async runProbe(): Promise<void> {
    let failure: unknown;
    // With edits to send, the batch itself is the probe (no `location` round trip first).
    const userId = this.userId;
    const direct = this.canSend() && userId !== null && this.store.counts(userId).pending > 0;
    if (direct) {
      this.probeByRequest = true;
      try {
        await this.flush();
      } finally {
        this.probeByRequest = false;
        this.probing = undefined;
      }
      // A failed send already scheduled the next attempt (goneOffline / serverFailing).
      return;
    }
    try {
      await this.transport.probe();
    } catch (error) {
      failure = error;
    }
    // Cleared before reacting, so the next scheduled probe is never mistaken for this one.
    this.probing = undefined;
    if (this.closed) return;
    if (failure !== undefined) {
      if (failure instanceof HttpError) this.serverFailing(failure, (failure as Error).message);
      else {
        this.lastError = (failure as Error).message;
        this.goneOffline();
      }
      return;
    }
    // The backoff resets on a successful flush or renewal, not on a probe: a server that answers
    // probes but fails every batch must not be hammered once a second. A failing server stays
    // "failing" until a flush or renewal succeeds (a probe answering is not enough).
    if (this.connection !== 'online' && !(this.connection === 'failing' && this.canSend())) {
      if (this.connection !== 'failing') this.lastError = null;
      this.setConnection('online');
      this.emit();
    }
    await this.onReconnect();
  }

  /** Reachable again: flush first (so the refresh sees our edits), then renew to refresh custom data. */
  private async onReconnect(): Promise<void> {
    if (!this.canSync()) return;
    const sent = await this.flush().catch(() => false);
    // A flush that sent edits already renewed the token; otherwise renew now for fresh data.
    if (!sent && this.canSync()) await this.renewQuietly();
  }

  /** The server answered with an error that may pass (5xx, 429, a failed renewal): retry on the backoff. */
  private serverFailing(error: HttpError, message: string): void {
    this.lastError = message;
    if (error.status >= 500 || error.status === 429) this.setConnection('failing');
    this.scheduleProbe();
    this.emit();
  }

  private goneOffline(): void {
    this.offlineEpoch += 1;
    // No network (the host or the tester says so) versus a server that cannot be reached.
    this.setConnection(this.transport.forcedOffline || this.hostOffline ? 'offline' : 'unreachable');
    this.timers.clearTimeout(this.renewTimer);
    this.nextRenewalAt = null;
    this.scheduleProbe();
    // Emitted on every failure, not only the first: the error and the next probe are news.
    this.emit();
  }

  private scheduleProbe(): void {
    if (this.closed) return;
    this.timers.clearTimeout(this.probeTimer);
    const base = Math.min(RECONNECT_MAX_MS, RECONNECT_BASE_MS * 2 ** this.reconnectAttempt);
    this.reconnectAttempt = Math.min(this.reconnectAttempt + 1, 16);
    // Full jitter in the upper half: spread reconnects of many clients, never wait less than half.
    const delay = Math.round(base / 2 + (base / 2) * this.random());
    this.retryAt = this.clock.now() + delay;
    this.probeTimer = this.timers.setTimeout(() => void this.probeNow(), delay);
  }

  /** Proactive renewal before expiry while online (realm-web only reacts to 401s). */
  private scheduleRenewal(): void {
    this.timers.clearTimeout(this.renewTimer);
    this.nextRenewalAt = null;
    if (this.closed || !this.cache || this.session?.state !== 'active' || this.connection !== 'online')
      return;
    const ttl = this.cache.expiresAt - this.cache.issuedAt;
    const margin = Math.max(RENEW_MARGIN_MIN_MS, ttl * 0.1);
    const at = Math.max(this.cache.expiresAt - margin, this.now() + 1_000);
    this.nextRenewalAt = at;
    this.renewTimer = this.timers.setTimeout(() => void this.renewQuietly(), at - this.now());
  }

  private expireSession(refused: SessionRow): void {
    const session = this.session;
    // Only the session whose refresh was refused: a newer login must not be marked expired.
    if (!session || session.userId !== refused.userId || session.refreshToken !== refused.refreshToken)
      return;
    this.store.saveSession({ ...session, state: 'expired', updatedAt: this.now() });
    this.loadUser();
    this.timers.clearTimeout(this.renewTimer);
    this.nextRenewalAt = null;
    this.lastError = 'session expired: log in again';
    this.emit();
  }

  // --- tester hooks -------------------------------------------------------------------------

  readonly tester = {
    /** Simulates a network outage in this client only (independent of the real network). */
    setOffline: async (offline: boolean): Promise<void> => {
      this.transport.forcedOffline = offline;
      if (offline) {
        this.lastError = 'offline (simulated)';
        this.goneOffline();
        this.emit();
      } else {
        await this.notifyOnline();
      }
    },
    /** Treats the access token as expired now: the state shows it, and the next call (or, online, right away) renews it. */
    expireAccessToken: async (): Promise<void> => {
      if (!this.userId || !this.cache) throw new NotLoggedInError();
      this.store.saveCustomData({ ...this.cache, expiresAt: Math.min(this.cache.expiresAt, this.now()) });
      this.loadUser();
      this.timers.clearTimeout(this.renewTimer);
      this.nextRenewalAt = null;
      this.emit();
      if (this.connection === 'online') await this.renewQuietly();
    },
    /** Shifts this client's clock (staleness, expiry checks, renewal schedule). */
    setClockSkew: (ms: number): void => {
      // The device clock jumps; server time does not. Once the server's time is known, the
      // offset absorbs the jump (as a monotonic clock would); the next response re-measures.
      if (this.serverTimeKnown) this.serverOffsetMs -= ms - this.clockSkewMs;
      this.clockSkewMs = ms;
      this.scheduleRenewal();
      this.emit();
    },
  };

  // --- internals ----------------------------------------------------------------------------

  /** Server time: the device clock (with the tester's skew) corrected by the measured offset. */
  private now(): number {
    return this.deviceNow() + this.serverOffsetMs;
  }

  private deviceNow(): number {
    return this.clock.now() + this.clockSkewMs;
  }

  /**
   * A server time seen in a `Date` header (1 s resolution) or a fresh token's `iat`: the offset
   * follows it when it is off by more than that resolution, so renewals are scheduled and
   * staleness computed in server time even when the device clock is wrong.
   */
  private observeServerTime(serverMs: number): void {
    const measured = serverMs - this.deviceNow();
    this.serverTimeKnown = true;
    if (Math.abs(measured - this.serverOffsetMs) < 2_000) return;
    this.serverOffsetMs = measured;
    this.scheduleRenewal();
  }

  /** Can send for the current user (connection aside). */
  private canSend(): boolean {
    return !this.closed && this.userId !== null && this.session?.state === 'active';
  }

  private canSync(): boolean {
    return (
      this.canSend() && (this.connection === 'online' || this.connection === 'failing' || this.probeByRequest)
    );
  }

  private sessionStatus(): SessionStatus {
    if (!this.userId || !this.session || this.session.state === 'logged-out') return 'none';
    return this.session.state;
  }

  private requireUser(): string {
    if (!this.userId) throw new NotLoggedInError();
    return this.userId;
  }

  private loadUser(): void {
    this.session = this.userId ? this.store.getSession(this.userId) : undefined;
    this.cache = this.userId ? this.store.getCustomData(this.userId) : undefined;
    this.snapshot = this.cache ? parseUserData(this.cache.dataEJSON) : {};
  }

  private setConnection(connection: Connection): void {
    const was = this.connection;
    this.connection = connection;
    if (connection === 'online' && was !== 'online') this.scheduleRenewal();
  }

  // --- live push (sync/client/live.ts) ------------------------------------------------------

  /** Keeps the live subscription open exactly while online with an active session (called on every change). */
  private syncLive(): void {
    if (!this.live) return;
    const want =
      !this.closed &&
      this.userId !== null &&
      this.session?.state === 'active' &&
      this.connection === 'online' &&
      !this.transport.forcedOffline &&
      !this.hostOffline
        ? this.userId
        : null;
    if (want === this.liveUser && (want === null || this.liveState !== 'idle')) return;
    if (this.liveUser !== null && want !== this.liveUser) {
      this.liveUser = null;
      this.liveSynced = false;
      this.live.stop();
    }
    if (want !== null) {
      this.liveUser = want;
      this.live.start();
    }
  }

  /** A pushed change: the snapshot follows it durably. Pending edits stay on top of it; their ack detects conflicts. */
  private onPushed(change: LiveChange): void {
    const userId = this.liveUser;
    if (!userId || userId !== this.userId || this.cache?.userId !== userId) return;
    const now = this.now();
    this.store.saveCustomData({
      ...this.cache,
      dataEJSON: encodeValue(change.document ?? {}),
      fetchedAt: now,
      source: 'push',
    });
    if (this.liveSynced) this.liveConfirmedAt = now;
    this.loadUser();
    this.emit();
  }

  /** (Re)opened: events before the stream are not replayed, so re-read the document (renewal), then count confirmations. */
  private onLiveOpened(): void {
    this.liveSynced = false;
    this.liveConfirmedAt = null;
    void this.renewQuietly().then(() => {
      if (this.liveState !== 'open') return;
      this.liveSynced = true;
      this.liveConfirmedAt = this.now();
      this.emit();
    });
  }

  private onLiveConfirmed(): void {
    if (!this.liveSynced || this.liveState !== 'open') return;
    const now = this.now();
    this.liveConfirmedAt = now;
    // Durable: a cold start shows the age from this confirmation.
    if (this.cache && this.cache.userId === this.liveUser) {
      this.store.saveCustomData({ ...this.cache, fetchedAt: now });
      this.loadUser();
    }
    this.emit();
  }

  private createDeviceId(): string {
    const id = randomBytes(12).toString('hex');
    this.store.setMeta('device_id', id);
    return id;
  }

  private emit(): void {
    if (this.closed) return;
    this.syncLive();
    if (this.listeners.size === 0) return;
    const status = this.status;
    for (const listener of this.listeners) {
      try {
        listener(status);
      } catch (error) {
        this.logger.warn('status listener threw', { error: (error as Error).message });
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
