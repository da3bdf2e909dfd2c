import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import Redis from 'ioredis';
import { AppConfig } from '../config/app-config';
import { MetricsService } from '../metrics/metrics.service';

/**
 * The Redis connections of this node (only when REDIS_URL is set): one for commands and
 * publishing, one subscriber. ioredis reconnects by itself with backoff; an outage is logged
 * once when it starts and once when it ends, and shows in /health and `parley_redis_up`.
 */
@Injectable()
export class RedisService implements OnApplicationShutdown {
  private readonly logger = new Logger(RedisService.name);
  readonly command: Redis;
  readonly subscriber: Redis;
  readonly prefix: string;
  private down = false;
  private readonly extra: Redis[] = [];

  constructor(config: AppConfig, metrics: MetricsService) {
    const url = config.redisUrl as string;
    this.prefix = config.redisKeyPrefix;
    const options = {
      maxRetriesPerRequest: 2,
      enableOfflineQueue: true,
      retryStrategy: (attempt: number) => Math.min(attempt * 200, 5000),
      lazyConnect: false,
    };
    this.command = new Redis(url, options);
    // Subscribers (and the adapter's clients, duplicated from these) wait for Redis instead of
    // failing their (un-awaited) subscribe calls: a Redis outage must never crash the node.
    this.subscriber = new Redis(url, { ...options, maxRetriesPerRequest: null });
    metrics.redisUp.set(0);
    for (const client of [this.command, this.subscriber]) {
      client.on('error', (error: Error) => {
        if (!this.down) this.logger.error(`Redis unavailable: ${error.message}`);
        this.down = true;
        metrics.redisUp.set(0);
      });
      client.on('ready', () => {
        if (this.down) this.logger.log('Redis is back');
        this.down = false;
        metrics.redisUp.set(1);
      });
    }
  }

  /** A publisher and a subscriber for the Socket.IO adapter, closed with the others. */
  adapterClients(): [Redis, Redis] {
    const pair: [Redis, Redis] = [this.subscriber.duplicate(), this.subscriber.duplicate()];
    for (const client of pair) {
      client.on('error', () => undefined); // reported by the main clients
      this.extra.push(client);
    }
    return pair;
  }

  key(name: string): string {
    return `${this.prefix}${name}`;
  }

  async ping(timeoutMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.command.ping(),
        new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('Redis did not answer')), timeoutMs))),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  async onApplicationShutdown(): Promise<void> {
    // quit() would wait for an unreachable server forever; disconnect() does not.
    await Promise.allSettled(
      [this.command, this.subscriber, ...this.extra].map((client) => (client.status === 'ready' ? client.quit() : client.disconnect())),
    );
  }
}
