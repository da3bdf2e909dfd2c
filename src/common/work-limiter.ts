import { AppError } from './errors';

/**
 * Runs at most `concurrency` tasks at once; up to `maxWaiting` more wait in line (first come,
 * first served) and any beyond that are refused with `UNAVAILABLE` at once, so a burst
 * cannot queue unbounded work or make everyone wait.
 */
export class WorkLimiter {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(
    private readonly concurrency: number,
    private readonly maxWaiting: number,
  ) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.running >= this.concurrency) {
      if (this.waiting.length >= this.maxWaiting) throw new AppError('UNAVAILABLE', 'The server is busy; try again shortly');
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.running++;
    }
    try {
      return await task();
    } finally {
      // hand the slot straight to the next in line (the count stays), or free it
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }
}
