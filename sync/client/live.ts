/**
 * The live subscription to the user's custom data document: the server's own custom data stream
 * (`OWN_CUSTOM_DATA_WATCH`, a `watch` the server resolves from its configuration and the token,
 * so no database or collection is named here; docs/server.md, "How a client should subscribe"),
 * framed as realm-web's `collection.watch()` and read with `SseReader`. Knows
 * nothing of SQLite or the engine's state: it reports changes, confirmations (first bytes,
 * keep-alives, events) and its own state through callbacks, and reconnects with backoff.
 *
 *   idle ──start──▶ connecting ──200──▶ open ──error block / end / network──▶ waiting (backoff) ──▶ connecting
 *                      │ 401: renew, then reconnect at once (once)
 *                      └ 400 ChangeStreamsNotSupported ──▶ unsupported (no retry: the engine refreshes at renewal)
 */
// Silent this long (three keep-alive intervals): a dead, half-open connection, dropped and reconnected.
import { Backoff, LIVE_SILENCE_MS } from '../model/index.js';
import { parseEJSONText, paths } from '../protocol/index.js';
import {
  OWN_CUSTOM_DATA_WATCH,
  type SseBlock,
  SseReader,
  WatchErrorCode,
  watchQueryString,
} from '../protocol/watch.js';
import type { FetchLike, Timers } from './ports.js';

export type LiveState = 'idle' | 'connecting' | 'open' | 'waiting' | 'unsupported';

/** A change to the user's document: its content after the change, or null when it was deleted. */
export type LiveChange = { document: Record<string, unknown> | null };

export interface LiveOptions {
  baseUrl: string;
  appId: string;
  fetch: FetchLike;
  timers: Timers;
  random: () => number;
  /** The current access token (undefined: cannot subscribe now). */
  token: () => string | undefined;
  /** Renews the access token (after a 401). */
  renew: () => Promise<void>;
  onChange: (change: LiveChange) => void;
  /** The stream is open and healthy up to now ("nothing was missed"). */
  onConfirm: () => void;
  /**
   * The stream (re)opened: events before it are not replayed, so the engine re-reads the
   * document. Also after SubscriberTooSlow / ChangeStreamHistoryLost (a reconnect follows).
   */
  onOpened: () => void;
  onState: (state: LiveState, error?: string) => void;
  log: (message: string, fields?: Record<string, unknown>) => void;
}

/** Shorter than the connection loop's (1 s → 60 s): a lost stream alone is reopened quickly. */
const BACKOFF_BASE_MS = 500;
const BACKOFF_MAX_MS = 30_000;

export class LiveSubscription {
  private state: LiveState = 'idle';
  private abort: AbortController | undefined;
  private retryTimer: unknown;
  private readonly backoff = new Backoff(BACKOFF_BASE_MS, BACKOFF_MAX_MS, () => this.options.random());
  /** Bumped on every start/stop: a run that sees another generation has been superseded. */
  private generation = 0;

  constructor(private readonly options: LiveOptions) {}

  get current(): LiveState {
    return this.state;
  }

  /** Subscribes (no-op while already subscribed or waiting to reconnect, or unsupported). */
  start(): void {
    if (this.state !== 'idle') return;
    this.backoff.reset();
    void this.run(++this.generation);
  }

  stop(): void {
    this.generation++;
    this.options.timers.clearTimeout(this.retryTimer);
    this.abort?.abort();
    this.abort = undefined;
    if (this.state !== 'idle' && this.state !== 'unsupported') this.setState('idle');
  }

  /** Forgets "unsupported" (another server may have change streams). */
  reset(): void {
    this.stop();
    if (this.state === 'unsupported') this.setState('idle');
  }

  private setState(state: LiveState, error?: string): void {
    this.state = state;
    this.options.onState(state, error);
  }

  private async run(generation: number): Promise<void> {
    const o = this.options;
    let renewed = false;
    for (;;) {
      if (generation !== this.generation) return;
      const token = o.token();
      if (!token) return this.retry(generation, 'no access token');
      this.setState('connecting');
      const abort = new AbortController();
      this.abort = abort;
      const query = watchQueryString(OWN_CUSTOM_DATA_WATCH);
      let response: Response;
      try {
        response = await o.fetch(`${o.baseUrl}${paths.functionsCall(o.appId)}${query}`, {
          method: 'GET',
          headers: { accept: 'text/event-stream', authorization: `Bearer ${token}` },
          signal: abort.signal,
        });
      } catch (error) {
        return this.retry(generation, (error as Error).message || 'network error');
      }
      if (generation !== this.generation) {
        abort.abort();
        return;
      }
      if (!response.ok) {
        const body = (await response.json().catch(() => ({}))) as { error_code?: string; error?: string };
        if (response.status === 401 && !renewed) {
          renewed = true;
          try {
            await o.renew();
          } catch (error) {
            return this.retry(generation, `renewal failed: ${(error as Error).message}`);
          }
          continue;
        }
        if (body.error_code === WatchErrorCode.ChangeStreamsNotSupported) {
          o.log('the server has no change streams: custom data refreshes at token renewal only');
          this.setState('unsupported', body.error ?? 'change streams not supported');
          return;
        }
        return this.retry(generation, body.error ?? `HTTP ${response.status}`);
      }
      const ended = await this.read(generation, response, abort);
      if (generation !== this.generation) return;
      if (ended.code === WatchErrorCode.InvalidSession) {
        // The token the stream was opened with expired: reconnect at once with the current one
        // (usually renewed already; if not, the 401 renews it).
        renewed = false;
        continue;
      }
      return this.retry(generation, ended.message);
    }
  }

  /** Reads the stream until it ends; returns why. */
  private async read(
    generation: number,
    response: Response,
    abort: AbortController,
  ): Promise<{ code?: string; message: string }> {
    const o = this.options;
    const body = response.body;
    if (!body) return { message: 'empty watch response' };
    const reader = new SseReader();
    const stream = body.getReader();
    let opened = false;
    let watchdog: unknown;
    const arm = () => {
      o.timers.clearTimeout(watchdog);
      watchdog = o.timers.setTimeout(
        () => abort.abort(new Error('no keep-alive: connection dead')),
        LIVE_SILENCE_MS,
      );
    };
    arm();
    const confirm = () => {
      if (generation !== this.generation) return;
      if (!opened) {
        opened = true;
        this.backoff.reset();
        this.setState('open');
        o.onOpened();
      }
      o.onConfirm();
    };
    try {
      for (;;) {
        const { value, done } = await stream.read();
        if (done) return { message: 'watch stream ended' };
        if (generation !== this.generation) return { message: 'stopped' };
        arm();
        confirm();
        for (const block of reader.push(value)) {
          const outcome = this.handle(block);
          if (outcome) return outcome;
        }
      }
    } catch (error) {
      return { message: (error as Error).message || 'watch stream failed' };
    } finally {
      o.timers.clearTimeout(watchdog);
      stream.cancel().catch(() => undefined);
    }
  }

  private handle(block: SseBlock): { code?: string; message: string } | undefined {
    if (block.kind === 'keepalive') return undefined;
    if (block.kind === 'error') {
      if (
        block.errorCode === WatchErrorCode.SubscriberTooSlow ||
        block.errorCode === WatchErrorCode.ChangeStreamHistoryLost
      )
        this.options.onOpened();
      return { code: block.errorCode, message: `${block.errorCode}: ${block.error}` };
    }
    let event: { operationType?: string; fullDocument?: unknown };
    try {
      event = parseEJSONText(block.data, false) as typeof event;
    } catch {
      this.options.log('unreadable watch event ignored');
      return undefined;
    }
    if (event.operationType === 'delete') this.options.onChange({ document: null });
    else if (event.fullDocument && typeof event.fullDocument === 'object')
      this.options.onChange({ document: event.fullDocument as Record<string, unknown> });
    // An update whose document was gone at lookup: the delete event follows.
    return undefined;
  }

  private retry(generation: number, error: string): void {
    if (generation !== this.generation) return;
    this.abort = undefined;
    const delay = this.backoff.next();
    this.setState('waiting', error);
    this.options.log('live subscription lost; reconnecting', { error, delayMs: delay });
    this.retryTimer = this.options.timers.setTimeout(() => {
      if (generation === this.generation) void this.run(generation);
    }, delay);
  }
}
