import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { MetricsService } from '../metrics/metrics.service';
import type { Dashboard, NodeStats, Stats } from '../protocol';
import { ParleyNamespace } from '../realtime/events';
import { RealtimeService } from '../realtime/realtime.service';
import { PerMinuteRate } from './per-minute';

const STATS_REQUEST = 'parley:node-stats' as const;

@Injectable()
export class StatsService implements OnModuleDestroy {
  private readonly logger = new Logger(StatsService.name);
  private nsp: ParleyNamespace<Dashboard> | null = null;
  private readonly rate = new PerMinuteRate();
  private readonly sampler: NodeJS.Timeout;

  constructor(
    private readonly config: AppConfig,
    private readonly realtime: RealtimeService,
    private readonly metrics: MetricsService,
  ) {
    this.sampler = setInterval(() => void this.sample(), 1000).unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.sampler);
  }

  /** With Redis, other nodes ask for this node's figures through a server-side event. */
  attach(nsp: ParleyNamespace<Dashboard>): void {
    this.nsp = nsp;
    nsp.on(STATS_REQUEST, (reply: (stats: NodeStats) => void) => reply(this.local()));
  }

  async snapshot(): Promise<Stats> {
    const nodes = [this.local(), ...(await this.otherNodes())];
    const sum = (key: 'connections' | 'onlineUsers' | 'messagesPerMinute') => nodes.reduce((total, n) => total + n[key], 0);
    return {
      connections: sum('connections'),
      onlineUsers: sum('onlineUsers'),
      messagesPerMinute: sum('messagesPerMinute'),
      node: this.config.nodeId,
      at: new Date().toISOString(),
      nodes,
    };
  }

  private async sample(): Promise<void> {
    const { values } = await this.metrics.messagesStored.get();
    this.rate.sample(values[0]?.value ?? 0);
  }

  private local(): NodeStats {
    const { connections, onlineUsers } = this.realtime.localCounts();
    return { node: this.config.nodeId, connections, onlineUsers, messagesPerMinute: this.rate.perMinute() };
  }

  private async otherNodes(): Promise<NodeStats[]> {
    // The in-memory adapter has no other nodes (and refuses server-side events).
    if (!this.nsp || !this.config.redisUrl) return [];
    try {
      // The adapter waits for every node that is subscribed (up to its request timeout).
      return (await this.nsp.serverSideEmitWithAck(STATS_REQUEST)) as NodeStats[];
    } catch (error) {
      this.logger.warn(`Some nodes did not report stats: ${(error as Error).message}`);
      return [];
    }
  }
}
