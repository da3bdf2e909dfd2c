/**
 * Messages stored in the last minute, from a running total sampled every second (the
 * `parley_messages_stored_total` counter): a ring of the last 60 totals.
 */
export class PerMinuteRate {
  private readonly totals = new Array<number>(61).fill(0);
  private index = 0;

  /** Called once a second with the counter's current total. */
  sample(total: number): void {
    this.index = (this.index + 1) % this.totals.length;
    this.totals[this.index] = total;
  }

  /** Growth over the last 60 samples. */
  perMinute(): number {
    const oldest = this.totals[(this.index + 1) % this.totals.length];
    return Math.max(0, this.totals[this.index] - oldest);
  }
}
