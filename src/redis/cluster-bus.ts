import { Logger } from '@nestjs/common';
import { EventEmitter } from 'node:events';
import { RedisService } from './redis.service';

export type BusHandler = (message: Record<string, unknown>) => void;

/**
 * Small notices every node must hear at once ("this API key was revoked", "this user was
 * blocked"), on a named topic. In-process without Redis; a Redis channel per topic with it,
 * where every node (the sender included) receives each notice. Delivery is best effort: the
 * database stays the source of truth and every subscriber also reloads from it periodically
 * and after a Redis outage, so a lost notice only delays the change to that bound.
 */
export abstract class ClusterBus {
  abstract publish(topic: string, message: Record<string, unknown>): Promise<void>;
  abstract subscribe(topic: string, handler: BusHandler): () => void;
  /** Runs after a Redis outage (never without Redis): what was missed must be reloaded. */
  abstract onRecovered(handler: () => void): void;
}

export class LocalClusterBus extends ClusterBus {
  private readonly emitter = new EventEmitter().setMaxListeners(0);

  async publish(topic: string, message: Record<string, unknown>): Promise<void> {
    this.emitter.emit(topic, message);
  }

  subscribe(topic: string, handler: BusHandler): () => void {
    this.emitter.on(topic, handler);
    return () => this.emitter.off(topic, handler);
  }

  onRecovered(): void {
    // one process: nothing is ever missed
  }
}

export class RedisClusterBus extends ClusterBus {
  private readonly logger = new Logger(RedisClusterBus.name);
  private readonly local = new LocalClusterBus();
  private readonly subscribed = new Set<string>();

  constructor(private readonly redis: RedisService) {
    super();
    redis.subscriber.on('message', (channel: string, text: string) => {
      if (!channel.startsWith(this.channel(''))) return;
      const topic = channel.slice(this.channel('').length);
      if (!this.subscribed.has(topic)) return;
      try {
        const message = JSON.parse(text) as unknown;
        if (typeof message === 'object' && message !== null) void this.local.publish(topic, message as Record<string, unknown>);
      } catch {
        this.logger.warn(`ignored a malformed message on ${topic}`);
      }
    });
  }

  async publish(topic: string, message: Record<string, unknown>): Promise<void> {
    try {
      if (!this.redis.available) throw new Error('Redis is down');
      await this.redis.command.publish(this.channel(topic), JSON.stringify(message));
    } catch (error) {
      // This node still acts at once; the others catch up at their next reload.
      this.logger.warn(`could not publish on ${topic}: ${(error as Error).message}`);
      await this.local.publish(topic, message);
    }
  }

  subscribe(topic: string, handler: BusHandler): () => void {
    if (!this.subscribed.has(topic)) {
      this.subscribed.add(topic);
      void this.redis.subscriber
        .subscribe(this.channel(topic))
        .catch((error: Error) => this.logger.error(`subscribe ${topic} failed: ${error.message}`));
    }
    return this.local.subscribe(topic, handler);
  }

  onRecovered(handler: () => void): void {
    this.redis.onRecovered(handler);
  }

  private channel(topic: string): string {
    return this.redis.key(`bus:${topic}`);
  }
}
