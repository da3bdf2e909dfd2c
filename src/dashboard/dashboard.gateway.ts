import { ConnectedSocket, MessageBody, OnGatewayInit, SubscribeMessage } from '@nestjs/websockets';
import { OnModuleDestroy } from '@nestjs/common';
import type { Namespace } from 'socket.io';
import { AuthRefreshDto } from '../chat/chat.dto';
import { ParleySocket } from '../realtime/events';
import { RealtimeGateway } from '../realtime/realtime-gateway.decorator';
import { RealtimeService } from '../realtime/realtime.service';
import { StatsService } from './stats.service';

export const STATS_INTERVAL_MS = 2000;

/** `/dashboard`: admins only (checked at the handshake); `stats` every 2 s while anyone watches. */
@RealtimeGateway('/dashboard')
export class DashboardGateway implements OnGatewayInit, OnModuleDestroy {
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly realtime: RealtimeService,
    private readonly stats: StatsService,
  ) {}

  afterInit(nsp: Namespace): void {
    this.realtime.attach(nsp, { role: 'admin' });
    this.stats.attach(nsp);
    this.timer = setInterval(() => {
      if (nsp.sockets.size === 0) return;
      void this.stats.snapshot().then((stats) => nsp.local.emit('stats', stats));
    }, STATS_INTERVAL_MS);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    if (this.timer) clearInterval(this.timer);
  }

  @SubscribeMessage('stats:get')
  current() {
    return this.stats.snapshot();
  }

  @SubscribeMessage('auth:refresh')
  refresh(@ConnectedSocket() socket: ParleySocket, @MessageBody() dto: AuthRefreshDto) {
    return this.realtime.refresh(socket, dto.token);
  }
}
