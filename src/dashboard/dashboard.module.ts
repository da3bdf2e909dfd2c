import { Module } from '@nestjs/common';
import { ChatModule } from '../chat/chat.module';
import { RealtimeModule } from '../realtime/realtime.module';
import { DashboardGateway } from './dashboard.gateway';
import { StatsService } from './stats.service';

@Module({
  imports: [RealtimeModule, ChatModule],
  providers: [DashboardGateway, StatsService],
})
export class DashboardModule {}
