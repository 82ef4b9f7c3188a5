/**
 * Server time: the device clock (with the tester's skew) corrected by an offset measured from
 * each response's `Date` header and each fresh token's `iat`. Renewals are scheduled and
 * staleness computed in server time, so a wrong device clock does not change what the engine does.
 */
import type { Clock } from './ports.js';

/** `Date` headers and `iat` have a 1 s resolution: smaller differences are noise. */
const RESOLUTION_MS = 2_000;

export class ServerClock {
  /** The tester's simulated device clock error. */
  skewMs = 0;
  /** Server time minus the device clock (clock + tester skew). */
  offsetMs = 0;
  private known = false;

  constructor(private readonly clock: Clock) {}

  now(): number {
    return this.deviceNow() + this.offsetMs;
  }

  deviceNow(): number {
    return this.clock.now() + this.skewMs;
  }

  /** A server time seen in a response; true when the offset changed (renewals must be rescheduled). */
  observe(serverMs: number): boolean {
    const measured = serverMs - this.deviceNow();
    this.known = true;
    if (Math.abs(measured - this.offsetMs) < RESOLUTION_MS) return false;
    this.offsetMs = measured;
    return true;
  }

  /**
   * The device clock jumps; server time does not. Once the server's time is known, the offset
   * absorbs the jump (as a monotonic clock would); the next response re-measures.
   */
  setSkew(ms: number): void {
    if (this.known) this.offsetMs -= ms - this.skewMs;
    this.skewMs = ms;
  }
}
