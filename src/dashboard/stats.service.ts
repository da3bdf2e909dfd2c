import { Injectable, Logger } from '@nestjs/common';
import type { Namespace } from 'socket.io';
import { AppConfig } from '../config/app-config';
import { MessagesService } from '../chat/messages.service';
import { RealtimeService } from '../realtime/realtime.service';
import { NodeStats, StatsView } from './stats.view';

const STATS_REQUEST = 'parley:node-stats';

@Injectable()
export class StatsService {
  private readonly logger = new Logger(StatsService.name);
  private nsp: Namespace | null = null;

  constructor(
    private readonly config: AppConfig,
    private readonly realtime: RealtimeService,
    private readonly messages: MessagesService,
  ) {}

  /** With Redis, other nodes ask for this node's figures through a server-side event. */
  attach(nsp: Namespace): void {
    this.nsp = nsp;
    nsp.on(STATS_REQUEST, (reply: (stats: NodeStats) => void) => reply(this.local()));
  }

  async snapshot(): Promise<StatsView> {
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

  private local(): NodeStats {
    const { connections, onlineUsers } = this.realtime.localCounts();
    return { node: this.config.nodeId, connections, onlineUsers, messagesPerMinute: this.messages.messagesPerMinute() };
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
