/**
 * Keeps the live subscription (live.ts) open for exactly one user while the facade wants it,
 * and turns its callbacks into snapshot writes and confirmations. After each (re)open the
 * document is re-read (a renewal): events before the stream are not replayed.
 */
import { type LiveChange, type LiveOptions, type LiveState, LiveSubscription } from './live.js';

export interface LiveLinkDeps
  extends Pick<LiveOptions, 'baseUrl' | 'appId' | 'fetch' | 'timers' | 'random' | 'log'> {
  /** The access token of `userId` now, if it is still the session's. */
  token: (userId: string) => string | undefined;
  renew: () => Promise<void>;
  renewQuietly: () => Promise<void>;
  /** A pushed document of `userId`; false when it no longer applies (another user). */
  pushed: (userId: string, change: LiveChange, at: number) => boolean;
  /** The stream confirmed the data of `userId` up to `at` (durable, for a cold start's age). */
  confirmed: (userId: string, at: number) => void;
  now: () => number;
  changed: () => void;
}

export class LiveLink {
  state: LiveState = 'idle';
  /** Server time of the last keep-alive/event, once the document was re-read after (re)opening. */
  confirmedAt: number | null = null;
  private user: string | null = null;
  private synced = false;
  private readonly subscription: LiveSubscription;

  constructor(private readonly deps: LiveLinkDeps) {
    this.subscription = new LiveSubscription({
      ...deps,
      token: () => (this.user ? deps.token(this.user) : undefined),
      renew: deps.renew,
      onChange: (change) => this.onChange(change),
      onConfirm: () => this.onConfirm(),
      onOpened: () => this.onOpened(),
      onState: (state, error) => {
        this.state = state;
        if (state !== 'open') this.confirmedAt = null;
        if (error) deps.log('live subscription', { state, error });
        deps.changed();
      },
    });
  }

  /** Subscribes for `want` (null: nobody); called on every change of the engine's state. */
  follow(want: string | null): void {
    if (want === this.user && (want === null || this.state !== 'idle')) return;
    if (this.user !== null && want !== this.user) {
      this.user = null;
      this.synced = false;
      this.subscription.stop();
    }
    if (want !== null) {
      this.user = want;
      this.subscription.start();
    }
  }

  stop(): void {
    this.subscription.stop();
  }

  private onChange(change: LiveChange): void {
    if (!this.user) return;
    const now = this.deps.now();
    if (!this.deps.pushed(this.user, change, now)) return;
    if (this.synced) this.confirmedAt = now;
    this.deps.changed();
  }

  private onOpened(): void {
    this.synced = false;
    this.confirmedAt = null;
    void this.deps.renewQuietly().then(() => {
      if (this.state !== 'open') return;
      this.synced = true;
      this.confirmedAt = this.deps.now();
      this.deps.changed();
    });
  }

  private onConfirm(): void {
    if (!this.synced || this.state !== 'open' || !this.user) return;
    const now = this.deps.now();
    this.confirmedAt = now;
    this.deps.confirmed(this.user, now);
    this.deps.changed();
  }
}
