/**
 * One `AppState` per engine change, shared by every reader: command answers, Electron's IPC
 * event and each web event stream. The engine says it changed (`subscribe`); the snapshot is
 * built once (the changes of one turn of the event loop → one snapshot, built on
 * `setImmediate` or earlier when a command answers), cached, and broadcast once. A command's
 * answer is the cached snapshot, rebuilt first if the engine changed since, so it always shows
 * the command's effect; its event carries the same version, which the renderer skips.
 *
 * Measured (test/sync/host/app-states.test.ts: log in, 10 set() edits, a refresh, with one
 * event listener as Electron has; 67 engine changes): before, each command answer and each
 * change built its own snapshot (4 SQL reads each): 79 snapshots, 712 SQL statements; now
 * 23–25 snapshots, 488–496 statements (coalescing per microtask instead: 46 and 580).
 */
import type { AppState } from '../app-api/contract.js';
import type { CustomDataClient } from '../client/index.js';
import { encodeRelaxed as relaxed } from '../protocol/ejson-codec.js';

const versions = new WeakMap<CustomDataClient, number>();

/** Reads the engine (status, view, outbox, conflicts: 4 SQL reads) into one JSON value. */
export function buildState(client: CustomDataClient, adminTools: boolean): AppState {
  // Time-based start: a restarted host never sends versions below the ones a page already saw.
  const version = Math.max((versions.get(client) ?? 0) + 1, Date.now() * 1000);
  versions.set(client, version);
  const view = client.view;
  return {
    version,
    status: client.status,
    data: relaxed(view.data) as Record<string, unknown>,
    serverData: client.customData ? (relaxed(client.customData) as Record<string, unknown>) : null,
    pendingPaths: Object.keys(view.pending),
    outbox: client.outbox.list().map((e) => ({ ...e, value: relaxed(e.value) })),
    conflicts: client.conflicts.list().map((c) => ({
      ...c,
      base: { ...c.base, value: relaxed(c.base.value) },
      server: { ...c.server, value: relaxed(c.server.value) },
      mine: { ...c.mine, value: relaxed(c.mine.value) },
    })),
    adminTools,
  };
}

export interface AppStatesOptions {
  /** Whether tester tools that need the backend's admin key are available. */
  adminTools: boolean;
  /** Runs the coalesced build and broadcast; default `setImmediate` (tests may step it). */
  schedule?: (run: () => void) => void;
  log?: (message: string, error: unknown) => void;
}

export class AppStates {
  /** Snapshots built so far (for tests and measurements). */
  builds = 0;
  private cached: AppState | undefined;
  private stale = true;
  private scheduled = false;
  private lastSent = 0;
  private readonly listeners = new Set<(state: AppState) => void>();
  private readonly unsubscribe: () => void;
  private readonly schedule: (run: () => void) => void;

  constructor(
    readonly client: CustomDataClient,
    private readonly options: AppStatesOptions,
  ) {
    this.schedule = options.schedule ?? ((run) => void setImmediate(run));
    this.unsubscribe = client.onChange(() => this.changed());
  }

  /** The engine's state now: the cached snapshot, rebuilt first if the engine changed since. */
  current(): AppState {
    if (this.stale || !this.cached) {
      this.cached = buildState(this.client, this.options.adminTools);
      this.builds += 1;
      this.stale = false;
    }
    return this.cached;
  }

  /** Called with each new snapshot, once per coalesced change (not with the current one). */
  subscribe(listener: (state: AppState) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Stops following the engine (the engine's close drops its listeners anyway). */
  close(): void {
    this.unsubscribe();
    this.listeners.clear();
  }

  private changed(): void {
    this.stale = true;
    if (this.scheduled) return;
    this.scheduled = true;
    this.schedule(() => this.publish());
  }

  private publish(): void {
    this.scheduled = false;
    let state: AppState;
    try {
      state = this.current();
    } catch (error) {
      // A failed read (e.g. the database closed): no event; the next command answer reports it.
      this.options.log?.('state snapshot failed', error);
      return;
    }
    if (state.version === this.lastSent) return;
    this.lastSent = state.version;
    for (const listener of this.listeners) {
      try {
        listener(state);
      } catch (error) {
        this.options.log?.('state listener threw', error);
      }
    }
  }
}
