/**
 * The engine's ports: everything with side effects outside SQLite is injected, so tests and
 * hosts (Electron main, the web-mode Node host) drive time, network and secrets.
 */

/** Wall-clock milliseconds since the epoch. */
export interface Clock {
  now(): number;
}

export interface Timers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** Encrypts tokens at rest (Electron: safeStorage). `plainSecretStore` is for tests only. */
export interface SecretStore {
  encrypt(plain: string): string;
  decrypt(stored: string): string;
}

export interface ClientLogger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
}

export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

export const systemClock: Clock = { now: () => Date.now() };

export const systemTimers: Timers = {
  setTimeout: (callback, ms) => {
    const handle = setTimeout(callback, ms);
    // Timers of the engine never keep a Node process alive on their own.
    (handle as { unref?: () => void }).unref?.();
    return handle;
  },
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export const plainSecretStore: SecretStore = { encrypt: (s) => s, decrypt: (s) => s };

export const silentLogger: ClientLogger = { info: () => {}, warn: () => {} };
