/**
 * The session: who is logged in, their tokens, and the cached custom data snapshot the tokens
 * carry; renewal (single-flight, scheduled before expiry in server time) and expiry.
 *
 *   active ──refresh refused (401)──▶ expired (outbox paused, kept) ──same user logs in──▶ active
 *
 * Every write of the snapshot bumps a confirmation sequence. A renewal remembers the sequence
 * when it is sent: if a push or a batch answer confirmed the document meanwhile, the token's
 * `user_data` is older than the snapshot and only the token times are taken from it.
 */
import type { SessionStatus } from '../model/index.js';
import { errorMessage, NotLoggedInError, SessionExpiredError, UserChangedError } from './engine-errors.js';
import type { Timers } from './ports.js';
import type { CustomDataRow, LocalStore, SessionRow } from './sqlite/local-store.js';
import { parseUserData, readAccessToken } from './token.js';
import { HttpError } from './transport.js';

/** Renew this long before expiry: 10 % of the lifetime, at least 5 s. */
const RENEW_MARGIN_MIN_MS = 5_000;

export interface SessionDeps {
  store: LocalStore;
  timers: Timers;
  /** Server time. */
  now: () => number;
  signal: AbortSignal;
  /** The refresh call, through the connection loop. */
  refresh: (refreshToken: string) => Promise<string>;
  /** The connection is online (renewals are scheduled only then). */
  isOnline: () => boolean;
  /** A renewal failed in a way that may pass: retry on the backoff. */
  failing: (error: HttpError, message: string) => void;
  renewed: () => void;
  expired: () => void;
  /** A fresh token's `iat`: a server time sample. */
  issuedAt: (serverMs: number) => void;
  changed: () => void;
  log: (message: string, fields?: Record<string, unknown>) => void;
}

export class Session {
  userId: string | null;
  row: SessionRow | undefined;
  cache: CustomDataRow | undefined;
  snapshot: Record<string, unknown> = {};
  nextRenewalAt: number | null = null;
  private confirmations = 0;
  private renewTimer: unknown;
  private renewing: Promise<void> | undefined;

  constructor(private readonly deps: SessionDeps) {
    this.userId = deps.store.getMeta('current_user') ?? null;
    this.load();
    deps.signal.addEventListener('abort', () => deps.timers.clearTimeout(this.renewTimer), { once: true });
  }

  get status(): SessionStatus {
    if (!this.userId || !this.row || this.row.state === 'logged-out') return 'none';
    return this.row.state;
  }

  /** The current user may send (connection aside). */
  get canSend(): boolean {
    return !this.deps.signal.aborted && this.userId !== null && this.row?.state === 'active';
  }

  get accessToken(): string | null {
    return this.row?.accessToken ?? null;
  }

  get inFlight(): Promise<void> | undefined {
    return this.renewing;
  }

  load(): void {
    const { store } = this.deps;
    this.row = this.userId ? store.getSession(this.userId) : undefined;
    this.cache = this.userId ? store.getCustomData(this.userId) : undefined;
    this.snapshot = this.cache ? parseUserData(this.cache.dataEJSON) : {};
  }

  /** Writes the cached snapshot (call inside the caller's transaction, then `load`). */
  saveSnapshot(row: CustomDataRow): void {
    this.confirmations += 1;
    this.deps.store.saveCustomData(row);
  }

  /** A login answered: the session and the token's snapshot become current. */
  begin(row: SessionRow, accessToken: string): void {
    const info = readAccessToken(accessToken);
    this.deps.issuedAt(info.issuedAt);
    const now = this.deps.now();
    this.deps.store.transaction(() => {
      this.deps.store.saveSession(row);
      this.saveSnapshot({
        userId: row.userId,
        dataEJSON: info.userDataEJSON,
        issuedAt: info.issuedAt,
        expiresAt: info.expiresAt,
        fetchedAt: now,
        source: 'login',
      });
      this.deps.store.setMeta('current_user', row.userId);
    });
    this.cancelRenewal();
    this.userId = row.userId;
    this.load();
  }

  /** Ends the session locally; the outbox and cache stay on disk for this user's next login. */
  end(): void {
    const session = this.row;
    if (!session) return;
    this.deps.store.transaction(() => {
      this.deps.store.saveSession({
        ...session,
        accessToken: null,
        refreshToken: null,
        state: 'logged-out',
        updatedAt: this.deps.now(),
      });
      this.deps.store.setMeta('current_user', null);
    });
    this.cancelRenewal();
    this.userId = null;
    this.load();
  }

  /**
   * The anonymous user linked an e-mail identity: the same user and refresh token, now named by
   * that e-mail (a re-login after expiry asks for it). The snapshot stays as it is.
   */
  becameAccount(userId: string, email: string, accessToken: string): void {
    const row = this.deps.store.getSession(userId);
    if (!row) return;
    this.deps.store.saveSession({
      ...row,
      provider: 'local-userpass',
      email,
      // Logged out meanwhile: no token comes back.
      accessToken: row.accessToken === null ? null : accessToken,
      updatedAt: this.deps.now(),
    });
    if (this.userId === userId) this.load();
  }

  renew(): Promise<void> {
    this.renewing ??= this.runRenew().finally(() => {
      this.renewing = undefined;
    });
    return this.renewing;
  }

  /** A renewal nobody awaits: its failure is already in the status (last error, backoff, expiry). */
  async renewQuietly(): Promise<void> {
    try {
      await this.renew();
    } catch (error) {
      this.deps.log('renewal failed; retried on the backoff', { error: errorMessage(error) });
    }
  }

  /** Runs a call with a valid access token: renewed first when (locally) expired, and once more on 401. */
  async authed<T>(userId: string, call: (token: string) => Promise<T>): Promise<T> {
    if (!this.row?.accessToken || (this.cache && this.cache.expiresAt <= this.deps.now() + 1_000))
      await this.renew();
    try {
      return await call(this.tokenFor(userId));
    } catch (error) {
      if (!(error instanceof HttpError && error.isInvalidSession)) throw error;
      await this.renew();
      return call(this.tokenFor(userId));
    }
  }

  /** Proactive renewal before expiry while online (realm-web only reacts to 401s). */
  scheduleRenewal(): void {
    this.cancelRenewal();
    const { cache } = this;
    if (this.deps.signal.aborted || !cache || this.row?.state !== 'active' || !this.deps.isOnline()) return;
    const ttl = cache.expiresAt - cache.issuedAt;
    const margin = Math.max(RENEW_MARGIN_MIN_MS, ttl * 0.1);
    const at = Math.max(cache.expiresAt - margin, this.deps.now() + 1_000);
    this.nextRenewalAt = at;
    this.renewTimer = this.deps.timers.setTimeout(() => void this.renewQuietly(), at - this.deps.now());
  }

  cancelRenewal(): void {
    this.deps.timers.clearTimeout(this.renewTimer);
    this.nextRenewalAt = null;
  }

  /** Tester: the access token counts as expired from now. */
  expireAccessTokenNow(): void {
    if (!this.userId || !this.cache) throw new NotLoggedInError();
    this.deps.store.saveCustomData({
      ...this.cache,
      expiresAt: Math.min(this.cache.expiresAt, this.deps.now()),
    });
    this.load();
    this.cancelRenewal();
  }

  /** The access token of `userId`, or an error when another user logged in meanwhile: never send one user's edits with another's token. */
  private tokenFor(userId: string): string {
    const session = this.row;
    if (this.userId !== userId || session?.userId !== userId || !session.accessToken)
      throw new UserChangedError();
    return session.accessToken;
  }

  private async runRenew(): Promise<void> {
    const session = this.row;
    if (!this.userId || !session || session.state !== 'active' || !session.refreshToken) {
      throw session?.state === 'expired' ? new SessionExpiredError() : new NotLoggedInError();
    }
    const { store } = this.deps;
    // Edits acknowledged before this request are in the token it returns.
    const ackedUpTo = store.maxAckedSeq(session.userId);
    const confirmationsAtSend = this.confirmations;
    let accessToken: string;
    try {
      accessToken = await this.deps.refresh(session.refreshToken);
    } catch (error) {
      if (error instanceof HttpError && error.isInvalidSession) {
        // Only a refused refresh token ends the session.
        this.expire(session);
        throw new SessionExpiredError();
      }
      // Anything else (5xx, 429, a timeout) may pass: retry on the connection loop's backoff,
      // whoever asked for the renewal. Network errors already went offline in the loop.
      if (error instanceof HttpError && !this.deps.signal.aborted)
        this.deps.failing(error, `token renewal failed: ${error.message}`);
      throw error;
    }
    // Another login happened meanwhile: this token belongs to a session that is gone.
    const current = this.row;
    if (
      this.deps.signal.aborted ||
      current?.userId !== session.userId ||
      current.refreshToken !== session.refreshToken
    )
      return;
    const info = readAccessToken(accessToken);
    this.deps.issuedAt(info.issuedAt);
    const now = this.deps.now();
    // A push or a batch answer confirmed the document after this request was sent: its
    // `user_data` is older than the snapshot; keep the snapshot, take the token's times.
    const newer = this.confirmations !== confirmationsAtSend ? this.cache : undefined;
    store.transaction(() => {
      // The current row: the account may have been named (linked) while this was under way.
      store.saveSession({ ...current, accessToken, updatedAt: now });
      this.saveSnapshot({
        userId: session.userId,
        dataEJSON: newer?.dataEJSON ?? info.userDataEJSON,
        issuedAt: info.issuedAt,
        expiresAt: info.expiresAt,
        fetchedAt: newer ? newer.fetchedAt : now,
        source: newer?.source ?? 'refresh',
      });
      store.dropAcked(session.userId, ackedUpTo);
    });
    this.load();
    this.deps.renewed();
    this.scheduleRenewal();
    this.deps.changed();
  }

  private expire(refused: SessionRow): void {
    const session = this.row;
    // Only the session whose refresh was refused: a newer login must not be marked expired.
    if (!session || session.userId !== refused.userId || session.refreshToken !== refused.refreshToken)
      return;
    this.deps.store.saveSession({ ...session, state: 'expired', updatedAt: this.deps.now() });
    this.load();
    this.cancelRenewal();
    this.deps.expired();
    this.deps.changed();
  }
}
