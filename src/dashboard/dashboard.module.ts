import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { RealtimeModule } from '../realtime/realtime.module';
import { DashboardGateway } from './dashboard.gateway';
import { StatsService } from './stats.service';

@Module({
  // AuthModule: WsJwtGuard, the gateway's guard, is built in this module and injects AccessAuthService.
  imports: [RealtimeModule, AuthModule],
  providers: [DashboardGateway, StatsService],
})
export class DashboardModule {}
