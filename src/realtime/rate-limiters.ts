import { RateLimit } from '../config/duration';

/**
 * Token bucket: `limit` tokens, refilled continuously at `limit` per window. Allows a
 * burst of `limit`, then the steady rate. State is two numbers, kept on the socket. Time is
 * monotonic (performance.now), so a wall-clock step cannot drain or stretch a limit.
 */
export class TokenBucket {
  private tokens: number;
  private updatedAt: number;

  constructor(private readonly rate: RateLimit) {
    this.tokens = rate.limit;
    this.updatedAt = performance.now();
  }

  take(now = performance.now()): boolean {
    const refill = (Math.max(0, now - this.updatedAt) * this.rate.limit) / this.rate.windowMs;
    this.tokens = Math.min(this.rate.limit, this.tokens + refill);
    this.updatedAt = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

/** Fixed-window counter per key (e.g. handshakes per client IP); forgets idle keys. */
export class FixedWindowLimiter {
  private readonly windows = new Map<string, { count: number; resetAt: number }>();
  private sweepAt = 0;

  constructor(private readonly rate: RateLimit) {}

  /** Counts one attempt; false when the key is over its limit in this window. */
  hit(key: string, now = performance.now()): boolean {
    return this.count(key, now) <= this.rate.limit;
  }

  /** Counts one attempt; returns the attempts of this key in this window, this one included. */
  count(key: string, now = performance.now()): number {
    if (now >= this.sweepAt) this.sweep(now);
    const window = this.windows.get(key);
    if (!window || window.resetAt <= now) {
      this.windows.set(key, { count: 1, resetAt: now + this.rate.windowMs });
      return 1;
    }
    window.count += 1;
    return window.count;
  }

  private sweep(now: number): void {
    for (const [key, window] of this.windows) if (window.resetAt <= now) this.windows.delete(key);
    this.sweepAt = now + this.rate.windowMs;
  }
}
