import { Injectable } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { MessagesService } from '../chat/messages.service';
import { RealtimeService } from '../realtime/realtime.service';
import { StatsView } from './stats.view';

@Injectable()
export class StatsService {
  constructor(
    private readonly config: AppConfig,
    private readonly realtime: RealtimeService,
    private readonly messages: MessagesService,
  ) {}

  async snapshot(): Promise<StatsView> {
    const local = this.realtime.localCounts();
    return {
      connections: local.connections,
      onlineUsers: local.onlineUsers,
      messagesPerMinute: this.messages.messagesPerMinute(),
      node: this.config.nodeId,
      at: new Date().toISOString(),
    };
  }
}
