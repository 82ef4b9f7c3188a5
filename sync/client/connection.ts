/**
 * The connection loop: whether the server can be reached, and when to try again.
 *
 *   connecting ──ok──▶ online ──network error──▶ unreachable ──probe / any call ok──▶ online
 *                       │   ▲                    (offline when the host or tester says so)
 *                       │   └── flush or renewal ok ──┐
 *                       └── 5xx / 429 / renewal failed ──▶ failing (same backoff: probe → flush → renew)
 *
 * Reconnecting with queued edits sends the batch first (it is the probe); with nothing to send,
 * probe (`location`), then `onReconnect` (flush, renew). The backoff (1 s doubling to 60 s,
 * jittered in the upper half) resets on a successful flush or renewal, not on a probe: a server
 * that answers probes but fails every batch is not hammered once a second. Each loss of the
 * connection bumps an epoch: an answer to a request sent before it proves nothing about now.
 * Aborting `signal` (close) stops the loop.
 */
import { Backoff, type Connection } from '../model/index.js';
import { errorMessage } from './engine-errors.js';
import type { Clock, Timers } from './ports.js';
import { HttpError, NetworkError } from './transport.js';

const RECONNECT_BASE_MS = 1_000;
const RECONNECT_MAX_MS = 60_000;

export interface ConnectionDeps {
  clock: Clock;
  timers: Timers;
  random: () => number;
  signal: AbortSignal;
  /** One `location` round trip. */
  probe: () => Promise<void>;
  /** The tester's switch says offline. */
  forcedOffline: () => boolean;
  /** An active session with edits waiting to be sent. */
  hasEditsToSend: () => boolean;
  /** Whether the current user may send at all (active session). */
  canSend: () => boolean;
  flush: () => Promise<unknown>;
  /** Reachable again after a probe: flush, then renew. */
  onReconnect: () => Promise<void>;
  /** Became online (schedule the renewal) / lost the connection (cancel it). */
  onOnline: () => void;
  onOffline: () => void;
  changed: () => void;
  log: (message: string, fields?: Record<string, unknown>) => void;
}

export class ConnectionLoop {
  state: Connection = 'connecting';
  /** The last error the user should see; cleared when its cause is gone. */
  lastError: string | null = null;
  /** Host clock time of the next automatic attempt. */
  retryAt: number | null = null;
  hostOffline = false;
  /** A reconnect attempt that sends the outbox right away instead of probing first. */
  probeByRequest = false;
  private epoch = 0;
  private readonly backoff = new Backoff(RECONNECT_BASE_MS, RECONNECT_MAX_MS, () => this.deps.random());
  private timer: unknown;
  private probing: Promise<void> | undefined;

  constructor(private readonly deps: ConnectionDeps) {
    deps.signal.addEventListener('abort', () => deps.timers.clearTimeout(this.timer), { once: true });
  }

  /** Requests may be sent now (online, failing and retrying, or a batch acting as the probe). */
  get usable(): boolean {
    return this.state === 'online' || this.state === 'failing' || this.probeByRequest;
  }

  /** The probe under way, if any (closing waits for it). */
  get pending(): Promise<void> | undefined {
    return this.probing;
  }

  set(connection: Connection): void {
    const was = this.state;
    this.state = connection;
    if (connection !== 'online') return;
    // Back through any request: the scheduled attempt has nothing left to do.
    this.deps.timers.clearTimeout(this.timer);
    this.retryAt = null;
    if (was !== 'online') this.deps.onOnline();
  }

  resetBackoff(): void {
    this.backoff.reset();
  }

  /** Wraps a network call: success means online, a network failure means offline. */
  async online<T>(call: () => Promise<T>): Promise<T> {
    const epoch = this.epoch;
    try {
      const result = await call();
      // An answer to a request sent before the connection was lost (a renewal under way when the
      // tester's switch or the host said "offline") does not bring the connection back.
      if (this.state !== 'online' && epoch === this.epoch) {
        this.lastError = null;
        this.set('online');
        this.deps.changed();
        // Back without a probe (a renewal or another call got through): send what waits.
        if (this.deps.hasEditsToSend()) this.flushInBackground();
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

  probeNow(): Promise<void> {
    this.deps.timers.clearTimeout(this.timer);
    this.probing ??= this.runProbe();
    return this.probing;
  }

  /** A host saw the network go away: shown as "offline" rather than "server unreachable". */
  notifyOffline(): void {
    this.hostOffline = true;
    this.goneOffline();
  }

  /** The network came back (host, tester, machine woke up): probe now instead of waiting. */
  async notifyOnline(): Promise<void> {
    this.hostOffline = false;
    this.backoff.reset();
    // A probe already under way may have been sent before the network came back.
    await this.probing;
    if (this.state !== 'online') await this.probeNow();
    else if (this.deps.hasEditsToSend()) await this.deps.flush();
  }

  /** The server answered with an error that may pass (5xx, 429, a failed renewal): retry on the backoff. */
  serverFailing(error: HttpError, message: string): void {
    this.lastError = message;
    if (error.status >= 500 || error.status === 429) this.set('failing');
    this.scheduleProbe();
    this.deps.changed();
  }

  goneOffline(): void {
    this.epoch += 1;
    // No network (the host or the tester says so) versus a server that cannot be reached.
    this.set(this.deps.forcedOffline() || this.hostOffline ? 'offline' : 'unreachable');
    this.deps.onOffline();
    this.scheduleProbe();
    // Emitted on every failure, not only the first: the error and the next probe are news.
    this.deps.changed();
  }

  private async runProbe(): Promise<void> {
    // With edits to send, the batch itself is the probe (no `location` round trip first).
    if (this.deps.hasEditsToSend()) {
      this.probeByRequest = true;
      try {
        await this.deps.flush();
      } finally {
        this.probeByRequest = false;
        this.probing = undefined;
      }
      // A failed send already scheduled the next attempt (goneOffline / serverFailing).
      return;
    }
    let failure: unknown;
    try {
      await this.deps.probe();
    } catch (error) {
      failure = error ?? new Error('probe failed');
    }
    // Cleared before reacting, so the next scheduled probe is never mistaken for this one.
    this.probing = undefined;
    if (this.deps.signal.aborted) return;
    if (failure !== undefined) {
      if (failure instanceof HttpError) this.serverFailing(failure, failure.message);
      else {
        this.lastError = errorMessage(failure);
        this.goneOffline();
      }
      return;
    }
    // A failing server stays "failing" until a flush or renewal succeeds (a probe answering is
    // not enough), so the backoff is not reset by probes.
    if (this.state !== 'online' && !(this.state === 'failing' && this.deps.canSend())) {
      if (this.state !== 'failing') this.lastError = null;
      this.set('online');
      this.deps.changed();
    }
    await this.deps.onReconnect();
  }

  private scheduleProbe(): void {
    if (this.deps.signal.aborted) return;
    this.deps.timers.clearTimeout(this.timer);
    // The tester's switch is certain, unlike a host's guess: no attempts (and no "tries" piling
    // up in the outbox) until it is turned off, which probes at once.
    if (this.deps.forcedOffline()) {
      this.retryAt = null;
      return;
    }
    const delay = this.backoff.next();
    this.retryAt = this.deps.clock.now() + delay;
    this.timer = this.deps.timers.setTimeout(() => {
      this.probeNow().catch((error: unknown) =>
        this.deps.log('reconnect attempt failed', { error: errorMessage(error) }),
      );
    }, delay);
  }

  private flushInBackground(): void {
    this.deps
      .flush()
      .catch((error: unknown) =>
        this.deps.log('flush after reconnecting failed', { error: errorMessage(error) }),
      );
  }
}
