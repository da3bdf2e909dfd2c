import { Logger } from '@nestjs/common';
import { RevocationBus, SessionEndedEvent, SessionEndedHandler } from '../sessions/revocation-bus';
import { RedisService } from './redis.service';

/**
 * Revocations across nodes: published on a Redis channel (every node, the sender included,
 * receives it and updates its in-memory set) and kept in a sorted set scored by the time they
 * may be forgotten, which a node reads at boot. Publishing never fails the request that ended
 * the session: the database row is the source of truth and each node also reloads from it.
 */
export class RedisRevocationBus extends RevocationBus {
  private readonly logger = new Logger(RedisRevocationBus.name);
  private readonly handlers = new Set<SessionEndedHandler>();
  private readonly channel: string;
  private readonly setKey: string;

  constructor(
    private readonly redis: RedisService,
    private readonly accessTtlMs: number,
  ) {
    super();
    this.channel = redis.key('revocations');
    this.setKey = redis.key('revoked-sessions');
    void redis.subscriber.subscribe(this.channel).catch((error: Error) => this.logger.error(`subscribe failed: ${error.message}`));
    redis.subscriber.on('message', (channel: string, text: string) => {
      if (channel !== this.channel) return;
      try {
        const event = JSON.parse(text) as SessionEndedEvent;
        for (const handler of this.handlers) handler(event);
      } catch (error) {
        this.logger.warn(`ignored a malformed revocation message: ${String(error)}`);
      }
    });
  }

  async publish(event: SessionEndedEvent): Promise<void> {
    const forgetAt = Date.now() + this.accessTtlMs;
    try {
      await this.redis.command
        .multi()
        .zadd(this.setKey, forgetAt, event.sid)
        .zremrangebyscore(this.setKey, 0, Date.now())
        .publish(this.channel, JSON.stringify(event))
        .exec();
    } catch (error) {
      // Other nodes learn it at their next boot from the database; this node already knows.
      this.logger.error(`could not publish a revocation: ${(error as Error).message}`);
      for (const handler of this.handlers) handler(event);
    }
  }

  subscribe(handler: SessionEndedHandler): () => void {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }

  /** Session ids revoked on any node within the last access-token lifetime. */
  override async recent(): Promise<string[]> {
    return this.redis.command.zrangebyscore(this.setKey, Date.now(), '+inf');
  }
}
