import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { join } from 'node:path';
import { describeCause } from '../common/errors';
import { AppConfig } from '../config/app-config';
import { MetricsService } from '../metrics/metrics.service';
import { SIGNATURE_HEADER, type WebhookType } from '../protocol';
import { WorkerChannel } from '../threads/worker-channel';
import { nextAttemptAt } from './retry-schedule';
import { ClaimedEvent, Settlement, WebhookOutbox } from './webhook-outbox';
import { WebhooksService } from './webhooks.service';

/** Events claimed and attempted at once: all of a batch run in parallel, so memory stays bounded by it. */
const BATCH_SIZE = 64;
/** API.md: a 2xx answer within 5 s is success. */
const ATTEMPT_TIMEOUT_MS = 5000;
/** A lease outlives a batch (every attempt ends within 5 s) with room to settle it. */
const LEASE_MS = 15_000;
/** How often the queue is looked at when nothing rang: events from other nodes, retries that came due. */
const POLL_MS = 1000;
const DEPTH_EVERY_MS = 2000;
/** The queue-depth gauge counts this far ("this many or more"): a bounded count, a few ms on SQLite. */
const DEPTH_CAP = 100_000;

/** skipped: no longer due (deleted unsent); released: cut short by shutdown (another attempt later, not counted). */
type Outcome = 'delivered' | 'failed' | 'dropped' | 'skipped' | 'released';
/** What the sender thread reports per attempt. */
type AttemptResult = { status: number } | { error: string; aborted: boolean };

/**
 * Delivers the outbox at least once. Every node runs one; each batch is leased in the database,
 * so one node attempts each event (a node that dies mid-batch leaves leases that expire, and
 * another node takes those events over). The requests run in a thread of their own, each
 * ending within 5 s: nothing here blocks a send or the event loop, and a slow or dead receiver
 * only slows this loop. Memory is bounded by the batch: the queue itself is the table.
 */
@Injectable()
export class DeliveryWorker implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(DeliveryWorker.name);
  private running: Promise<void> | null = null;
  private stopped = false;
  private rung = false;
  private sleeper: { timer: NodeJS.Timeout; wake: () => void } | null = null;
  private claims = 0;
  private lastDepthAt = 0;
  private paused = false;
  /** The HTTP side (signing, requests) runs in a thread of its own: see webhook-sender.worker.js. */
  private sender: WorkerChannel<{ bodies: string[] }, AttemptResult[]> | null = null;

  constructor(
    private readonly config: AppConfig,
    private readonly webhooks: WebhooksService,
    private readonly outbox: WebhookOutbox,
    private readonly metrics: MetricsService,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.webhooks.config) return;
    for (const outcome of ['delivered', 'failed', 'dropped']) this.metrics.webhooks.inc({ outcome }, 0);
    const { url, secret } = this.webhooks.config;
    this.sender = new WorkerChannel(join(__dirname, 'webhook-sender.worker.js'), {
      url,
      secret,
      timeoutMs: ATTEMPT_TIMEOUT_MS,
      maxSockets: BATCH_SIZE,
      signatureHeader: SIGNATURE_HEADER,
    });
    this.webhooks.onStored(() => this.ring());
    this.running = this.loop();
  }

  /** Before the database closes: attempts in flight end now and their events are released. */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    // attempts in flight end now (their events are released), so draining does not wait on a slow receiver
    const closed = this.sender?.close();
    this.ring();
    await this.running;
    await closed;
  }

  private ring(): void {
    this.rung = true;
    this.sleeper?.wake();
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      let claimed = 0;
      try {
        claimed = await this.runBatch();
        await this.updateDepth();
        if (this.paused) this.logger.log('Webhook delivery resumed');
        this.paused = false;
      } catch (error) {
        // once per outage (the database, usually): the loop retries at each poll
        if (!this.paused) this.logger.warn(`Webhook delivery paused: ${describeCause(error)}`);
        this.paused = true;
      }
      // A full batch means more may be due: go on at once. Otherwise wait for a ring or the poll.
      if (claimed < BATCH_SIZE && !this.stopped) await this.sleep();
    }
  }

  private sleep(): Promise<void> {
    if (this.rung) {
      this.rung = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.sleeper = null;
        this.rung = false;
        resolve();
      };
      const timer = setTimeout(wake, POLL_MS);
      this.sleeper = { timer, wake };
    });
  }

  /** One batch: claim, attempt every event at once, settle; how many were claimed. */
  private async runBatch(): Promise<number> {
    const owner = `${this.config.nodeId}:${++this.claims}`;
    const now = Date.now();
    const events = await this.outbox.claim(owner, BATCH_SIZE, now, now + LEASE_MS);
    if (events.length === 0) return 0;
    const results = await this.attempt(events);
    const settledAt = Date.now();
    const settlements: Settlement[] = events.map((event, i) => {
      const outcome = results[i];
      if (outcome === 'released') return { id: event.id, outcome: 'retry', attempts: event.attempts, at: settledAt };
      if (outcome !== 'failed') return { id: event.id, outcome: 'done' };
      const at = nextAttemptAt(event.attempts + 1, this.webhooks.config?.retryDelaysMs ?? [], settledAt) as number;
      return { id: event.id, outcome: 'retry', attempts: event.attempts + 1, at };
    });
    await this.outbox.settle(owner, settlements, settledAt);
    return events.length;
  }

  /** Every event of the batch at once: the ones still due go to the sender thread. */
  private async attempt(events: ClaimedEvent[]): Promise<Outcome[]> {
    const outcomes = await Promise.all(events.map((event) => this.recheck(event)));
    const due = events.filter((_, i) => outcomes[i] === undefined);
    if (due.length === 0 || !this.sender) return outcomes.map((o) => o ?? 'released');
    let results: AttemptResult[];
    try {
      results = await this.sender.call({ bodies: due.map((e) => e.body) }, 'webhook batch');
    } catch (error) {
      // the thread ended (shutdown, or it died): whether these arrived is unknown; they go again
      if (!this.stopped) this.logger.warn(`Webhook sender thread failed: ${describeCause(error)}`);
      return outcomes.map((o) => o ?? 'released');
    }
    let next = 0;
    return events.map((event, i) => {
      const early = outcomes[i];
      if (early !== undefined) return early;
      const result = results[next++];
      if ('error' in result) {
        if (result.aborted) return 'released';
        this.logger.debug(`Webhook ${event.id} not delivered: ${result.error}`);
      }
      // a redirect is a failed attempt, never followed (it could point anywhere)
      return this.count(event, 'status' in result && result.status >= 200 && result.status < 300);
    });
  }

  /** An outcome already (skipped: no longer due), or undefined to attempt it. */
  private async recheck(event: ClaimedEvent): Promise<Outcome | undefined> {
    // Stored while its type is off (a user.offline kept only so a reconnect can cancel it, or an
    // event stored before WEBHOOK_EVENTS changed): dropped unsent.
    if (!this.webhooks.enabled(event.type as WebhookType)) return 'skipped';
    try {
      return (await this.webhooks.stillDue(event.type, event.body)) ? undefined : 'skipped';
    } catch (error) {
      this.logger.warn(`Could not re-check webhook ${event.id} (${event.type}): ${describeCause(error)}`);
      return this.count(event, false);
    }
  }

  private count(event: ClaimedEvent, ok: boolean): Outcome {
    const outcome: Outcome = ok
      ? 'delivered'
      : nextAttemptAt(event.attempts + 1, this.webhooks.config?.retryDelaysMs ?? [], 0) === null
        ? 'dropped'
        : 'failed';
    this.metrics.webhooks.inc({ outcome });
    if (outcome === 'dropped') this.logger.warn(`Webhook ${event.id} (${event.type}) dropped after ${event.attempts + 1} attempts`);
    return outcome;
  }

  private async updateDepth(): Promise<void> {
    const now = Date.now();
    if (now - this.lastDepthAt < DEPTH_EVERY_MS) return;
    this.lastDepthAt = now;
    this.metrics.webhookQueueDepth.set(await this.outbox.depth(DEPTH_CAP));
  }
}
