/**
 * Counts failed logins per account in a fixed window and refuses further attempts once
 * the limit is reached. Per account (not per IP) so that many users behind one NAT, or
 * a load test, are not locked out by each other. In memory: per server instance.
 */
export class LoginThrottle {
  private readonly failures = new Map<string, { count: number; windowStart: number }>();

  constructor(
    private readonly maxFailures: number,
    private readonly windowMs: number,
    private readonly now: () => number,
  ) {}

  /** Milliseconds until the account may try again, or 0 when it may try now. */
  retryAfterMs(account: string): number {
    const entry = this.failures.get(account);
    if (!entry) return 0;
    const elapsed = this.now() - entry.windowStart;
    if (elapsed >= this.windowMs) {
      this.failures.delete(account);
      return 0;
    }
    return entry.count >= this.maxFailures ? this.windowMs - elapsed : 0;
  }

  recordFailure(account: string): void {
    const now = this.now();
    const entry = this.failures.get(account);
    if (!entry || now - entry.windowStart >= this.windowMs) {
      this.failures.set(account, { count: 1, windowStart: now });
      if (this.failures.size > 100_000) this.prune(now);
    } else {
      entry.count += 1;
    }
  }

  recordSuccess(account: string): void {
    this.failures.delete(account);
  }

  private prune(now: number): void {
    for (const [key, entry] of this.failures)
      if (now - entry.windowStart >= this.windowMs) this.failures.delete(key);
  }
}
