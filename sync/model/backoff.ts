/**
 * The engine's one retry schedule: doubling from `baseMs` up to `maxMs`, jittered in the upper
 * half — many clients reconnecting at once spread out, and none waits less than half. The
 * connection loop and the live stream each keep one, with their own bounds.
 */
export class Backoff {
  private attempt = 0;

  constructor(
    private readonly baseMs: number,
    private readonly maxMs: number,
    /** Uniform in [0, 1): injected so tests can pin the jitter. */
    private readonly random: () => number,
  ) {}

  /** The wait before the next attempt; each call doubles the following one (up to the cap). */
  next(): number {
    const base = Math.min(this.maxMs, this.baseMs * 2 ** this.attempt);
    this.attempt = Math.min(this.attempt + 1, 16);
    return Math.round(base / 2 + (base / 2) * this.random());
  }

  /** After a success: the next failure waits the shortest time again. */
  reset(): void {
    this.attempt = 0;
  }
}
