import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import Redis from 'ioredis';
import { Gauge } from 'prom-client';
import { AppConfig } from '../config/app-config';
import { MetricsService } from '../metrics/metrics.service';

/**
 * The Redis connections of this node (only when REDIS_URL is set): one for commands and
 * publishing, one subscriber. ioredis reconnects by itself with backoff; an outage is logged
 * once when it starts and once when it ends, and shows in /health and `parley_redis_up`.
 *
 * While Redis is down the node keeps serving on its own: `available` is false, callers fall
 * back to this node's view (presence, socket cap, rate limits), cross-node broadcasts are
 * dropped rather than queued, and `onRecovered` handlers catch up once it is back.
 */
const COMMAND_TIMEOUT_MS = 2000;
const HEARTBEAT_MS = 1000;

@Injectable()
export class RedisService implements OnApplicationShutdown {
  private readonly logger = new Logger(RedisService.name);
  readonly command: Redis;
  readonly subscriber: Redis;
  readonly prefix: string;
  private down = false;
  private shuttingDown = false;
  private readonly extra: Redis[] = [];
  private readonly recoveryHandlers = new Set<() => void>();
  private readonly url: string;

  private readonly heartbeat: NodeJS.Timeout;
  /** Registered here, not in MetricsService: without REDIS_URL the series does not exist at all. */
  private readonly redisUp: Gauge;

  constructor(config: AppConfig, metrics: MetricsService) {
    const url = (this.url = config.redisUrl as string);
    this.prefix = config.redisKeyPrefix;
    const options = {
      maxRetriesPerRequest: 2,
      enableOfflineQueue: true,
      retryStrategy: (attempt: number) => Math.min(attempt * 200, 2000),
      lazyConnect: false,
    };
    // A stalled link must fail a command within seconds, not hold a login or a revocation.
    // Named (CLIENT LIST) so an operator can tell the nodes' connections apart.
    this.command = new Redis(url, { ...options, commandTimeout: COMMAND_TIMEOUT_MS, connectionName: `${this.prefix}${config.nodeId}:cmd` });
    // Subscribers (and the adapter's clients, duplicated from these) wait for Redis instead of
    // failing their (un-awaited) subscribe calls: a Redis outage must never crash the node.
    this.subscriber = new Redis(url, { ...options, maxRetriesPerRequest: null, connectionName: `${this.prefix}${config.nodeId}:sub` });
    this.redisUp = new Gauge({
      name: 'parley_redis_up',
      help: '1 while this node is connected to Redis (only present when REDIS_URL is set)',
      registers: [metrics.registry],
    });
    this.redisUp.set(0);
    for (const client of [this.command, this.subscriber]) {
      client.on('error', (error: Error) => this.markDown(error.message));
      client.on('ready', () => this.markUp());
    }
    // A stalled link raises no error: only an unanswered ping shows it.
    this.heartbeat = setInterval(() => {
      this.ping(HEARTBEAT_MS).then(
        () => this.markUp(),
        (error: Error) => this.markDown(error.message),
      );
    }, HEARTBEAT_MS).unref();
  }

  private markDown(reason: string): void {
    if (this.down) return;
    this.logger.error(`Redis unavailable: ${reason}`);
    this.down = true;
    this.redisUp.set(0);
  }

  private markUp(): void {
    if (this.command.status !== 'ready' || this.subscriber.status !== 'ready') return;
    this.redisUp.set(1);
    if (!this.down) return;
    this.logger.log('Redis is back');
    this.down = false;
    for (const handler of this.recoveryHandlers) handler();
  }

  /** False from the first failure (connection error or unanswered ping) until Redis answers again. */
  get available(): boolean {
    return !this.down && this.command.status === 'ready';
  }

  /** Runs `handler` each time Redis comes back after an outage (not at the first connect). */
  onRecovered(handler: () => void): void {
    this.recoveryHandlers.add(handler);
  }

  /**
   * A publisher and a subscriber for the Socket.IO adapter, closed with the others. The
   * publisher never queues: during an outage a cross-node broadcast is dropped (delivering it
   * minutes late would be worse, and the queue would grow without bound) and a cross-node
   * query (`fetchSockets`) fails at once, so callers fall back to this node's sockets.
   */
  adapterClients(): [Redis, Redis] {
    const publisher = new Redis(this.url, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      commandTimeout: COMMAND_TIMEOUT_MS,
      retryStrategy: (attempt: number) => Math.min(attempt * 200, 2000),
    });
    // The adapter does not handle a failed publish; an unhandled rejection would end the process.
    const publish = publisher.publish.bind(publisher) as (channel: string, message: string | Buffer) => Promise<number>;
    publisher.publish = ((channel: string, message: string | Buffer) => publish(channel, message).catch(() => 0)) as Redis['publish'];
    const pair: [Redis, Redis] = [publisher, this.subscriber.duplicate()];
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

  /** True once the node is closing its connections (their 'close' events are expected then). */
  get closing(): boolean {
    return this.shuttingDown;
  }

  async onApplicationShutdown(): Promise<void> {
    this.shuttingDown = true;
    clearInterval(this.heartbeat);
    // quit() would wait for an unreachable server forever; disconnect() does not.
    await Promise.allSettled(
      [this.command, this.subscriber, ...this.extra].map((client) => (client.status === 'ready' ? client.quit() : client.disconnect())),
    );
  }
}
