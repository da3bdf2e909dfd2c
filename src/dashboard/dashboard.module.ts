import { Module } from '@nestjs/common';
import { RealtimeModule } from '../realtime/realtime.module';
import { SessionsModule } from '../sessions/sessions.module';
import { DashboardGateway } from './dashboard.gateway';
import { StatsService } from './stats.service';

@Module({
  // SessionsModule: WsJwtGuard, the gateway's guard, is built in this module and injects RevocationService.
  imports: [RealtimeModule, SessionsModule],
  providers: [DashboardGateway, StatsService],
  // the server API's /api/v1/stats reads the same figures
  exports: [StatsService],
})
export class DashboardModule {}
