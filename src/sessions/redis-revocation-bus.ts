import { Logger } from '@nestjs/common';
import { RedisService } from '../redis/redis.service';
import { RevocationBus, SessionEndedEvent, SessionEndedHandler } from './revocation-bus';

/**
 * Revocations across nodes: published on a Redis channel (every node, the sender included,
 * receives it and updates its in-memory set) and kept in a sorted set scored by the time they
 * may be forgotten, which a node reads at boot and after a Redis outage. Publishing never fails
 * the request that ended the session: the database row is the source of truth, this node
 * already knows, and what could not be published is sent again once Redis is back.
 */
export class RedisRevocationBus extends RevocationBus {
  private readonly logger = new Logger(RedisRevocationBus.name);
  private readonly handlers = new Set<SessionEndedHandler>();
  private readonly channel: string;
  private readonly setKey: string;
  private readonly unsent: Array<{ event: SessionEndedEvent; forgetAt: number }> = [];
  private subscriberLost = false;

  constructor(
    private readonly redis: RedisService,
    private readonly accessTtlMs: number,
  ) {
    super();
    this.channel = redis.key('revocations');
    this.setKey = redis.key('revoked-sessions');
    this.listen();
    // A subscriber connection can end without any error (CLIENT KILL, a proxy's idle timeout):
    // whatever was published meanwhile never arrives. Say so, and on its return subscribe
    // again and replay the recent revocations (RevocationService also re-reads the database).
    redis.subscriber.on('end', () => this.lost('ended'));
    redis.subscriber.on('close', () => this.lost('closed'));
    redis.subscriber.on('ready', () => {
      if (!this.subscriberLost) return;
      this.subscriberLost = false;
      this.logger.log('Revocation subscriber is back; catching up');
      this.listen();
      void this.catchUp();
    });
    redis.subscriber.on('message', (channel: string, text: string) => {
      if (channel !== this.channel) return;
      const event = parseEvent(text);
      if (event) this.deliver(event);
      else this.logger.warn('ignored a malformed revocation message');
    });
    redis.onRecovered(() => void this.catchUp());
  }

  private listen(): void {
    void this.redis.subscriber.subscribe(this.channel).catch((error: Error) => this.logger.error(`subscribe failed: ${error.message}`));
  }

  private lost(how: string): void {
    if (this.subscriberLost || this.redis.closing) return;
    this.subscriberLost = true;
    this.logger.warn(`Revocation subscriber connection ${how}: revocations from other nodes arrive through the database re-read until it is back`);
  }

  async publish(event: SessionEndedEvent): Promise<void> {
    const forgetAt = Date.now() + this.accessTtlMs;
    try {
      if (!this.redis.available) throw new Error('Redis is down');
      await this.send(event, forgetAt);
    } catch (error) {
      this.logger.warn(`could not publish a revocation, will retry when Redis is back: ${(error as Error).message}`);
      this.unsent.push({ event, forgetAt });
      this.deliver(event);
    }
  }

  subscribe(handler: SessionEndedHandler): () => void {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }

  /** Session ids revoked on any node within the last access-token lifetime. */
  override recent(): Promise<SessionEndedEvent[]> {
    return this.recentEvents();
  }

  private async recentEvents(): Promise<SessionEndedEvent[]> {
    const members = await this.redis.command.zrangebyscore(this.setKey, Date.now(), '+inf');
    return members.map(parseEvent).filter((event): event is SessionEndedEvent => event !== null);
  }

  private async send(event: SessionEndedEvent, forgetAt: number): Promise<void> {
    const text = JSON.stringify(event);
    const replies = await this.redis.command
      .multi()
      .zadd(this.setKey, forgetAt, text)
      .zremrangebyscore(this.setKey, 0, Date.now())
      .publish(this.channel, text)
      .exec();
    const failed = replies?.find(([error]) => error);
    if (!replies || failed) throw failed?.[0] ?? new Error('transaction aborted');
  }

  /**
   * After an outage: publish what could not be sent (if still within an access-token lifetime),
   * then replay what other nodes ended while this one could not hear them (handlers are
   * idempotent, so replaying known ones is harmless).
   */
  private async catchUp(): Promise<void> {
    const unsent = this.unsent.splice(0).filter((u) => u.forgetAt > Date.now());
    for (const [i, { event, forgetAt }] of unsent.entries()) {
      try {
        await this.send(event, forgetAt);
      } catch {
        this.unsent.push(...unsent.slice(i));
        return;
      }
    }
    try {
      for (const event of await this.recentEvents()) this.deliver(event);
    } catch (error) {
      this.logger.warn(`could not reload revocations after the outage: ${(error as Error).message}`);
    }
  }

  private deliver(event: SessionEndedEvent): void {
    for (const handler of this.handlers) handler(event);
  }
}

function parseEvent(text: string): SessionEndedEvent | null {
  try {
    const event = JSON.parse(text) as Partial<SessionEndedEvent> | null;
    return event && typeof event.sid === 'string' && typeof event.userId === 'string' && typeof event.reason === 'string'
      ? (event as SessionEndedEvent)
      : null;
  } catch {
    return null;
  }
}
