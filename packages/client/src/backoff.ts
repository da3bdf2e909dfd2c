/**
 * Exponential backoff with full jitter (the AWS architecture blog's "Full Jitter"): attempt n
 * waits a uniformly random time in [0, min(maxMs, initialMs · factor^n)]. Random waits spread a
 * crowd of clients that lost the same server, so they do not all come back in the same instant.
 */
export interface BackoffOptions {
  /** ceiling of the first wait (ms); default 500 */
  initialMs?: number;
  /** largest ceiling (ms); default 10 000 */
  maxMs?: number;
  /** growth of the ceiling per attempt; default 2 */
  factor?: number;
  /** a number in [0, 1); default Math.random (tests pass their own) */
  random?: () => number;
}

export class Backoff {
  private attempt = 0;
  private readonly initialMs: number;
  private readonly maxMs: number;
  private readonly factor: number;
  private readonly random: () => number;

  constructor(options: BackoffOptions = {}) {
    this.initialMs = options.initialMs ?? 500;
    this.maxMs = options.maxMs ?? 10_000;
    this.factor = options.factor ?? 2;
    this.random = options.random ?? Math.random;
  }

  /** Attempts made since the last reset. */
  get attempts(): number {
    return this.attempt;
  }

  /** The ceiling of attempt `n` (0-based). */
  ceiling(n: number): number {
    return Math.min(this.maxMs, this.initialMs * this.factor ** n);
  }

  /** The wait before the next attempt; counts the attempt. */
  next(): number {
    return Math.floor(this.random() * this.ceiling(this.attempt++));
  }

  reset(): void {
    this.attempt = 0;
  }
}
