import { ConnectedSocket, OnGatewayInit, SubscribeMessage } from '@nestjs/websockets';
import { OnModuleDestroy } from '@nestjs/common';
import { Payload } from '../common/validation';
import { Dashboard, DASHBOARD, PayloadOf, Stats } from '../protocol';
import { ParleyNamespace, ParleySocket } from '../realtime/events';
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

  afterInit(nsp: ParleyNamespace<Dashboard>): void {
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
  current(): Promise<Stats> {
    return this.stats.snapshot();
  }

  @SubscribeMessage('auth:refresh')
  refresh(
    @ConnectedSocket() socket: ParleySocket<Dashboard>,
    @Payload(DASHBOARD.client['auth:refresh'].payload) dto: PayloadOf<Dashboard, 'auth:refresh'>,
  ) {
    return this.realtime.refresh(socket, dto.token);
  }
}
