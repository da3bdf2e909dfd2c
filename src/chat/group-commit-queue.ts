/**
 * The queue behind a group commit: callers enqueue; one batch at a time is committed, started
 * on the next turn of the event loop (so a burst lands in one batch) and again at once while
 * work is waiting. Under load the batch grows by itself while the previous commit runs.
 */
export class GroupCommitQueue<P> {
  private queue: P[] = [];
  private running: Promise<void> | null = null;
  private scheduled = false;

  constructor(
    private readonly maxBatch: number,
    private readonly commit: (batch: P[]) => Promise<void>,
    /** false for an entry that needs no commit any more (already answered) */
    private readonly isLive: (pending: P) => boolean = () => true,
  ) {}

  push(pending: P): void {
    this.queue.push(pending);
    this.schedule();
  }

  /** Back to the front of the line (a batch member that must go round again). */
  pushFront(pending: P[]): void {
    this.queue.unshift(...pending);
  }

  /** Resolves once everything queued so far is committed (or has failed). */
  async drain(): Promise<void> {
    while (this.running || this.queue.length > 0) {
      if (!this.running) this.startBatch();
      await this.running;
    }
  }

  private schedule(): void {
    if (this.scheduled || this.running) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      if (!this.running) this.startBatch();
    });
  }

  private startBatch(): void {
    let batch: P[] = [];
    while (batch.length === 0 && this.queue.length > 0) batch = this.queue.splice(0, this.maxBatch).filter(this.isLive);
    if (batch.length === 0) return;
    this.running = this.commit(batch).finally(() => {
      this.running = null;
      if (this.queue.length > 0) this.startBatch();
    });
  }
}
