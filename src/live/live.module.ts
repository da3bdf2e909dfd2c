import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuthModule } from '../auth/auth.module';
import { RealtimeModule } from '../realtime/realtime.module';
import { ChannelHistoryService } from './channel-history.service';
import { ChannelTokensService } from './channel-tokens.service';
import { LiveChannelEntity, LiveIdempotencyEntity, LivePublicationEntity } from './live.entities';
import { LiveGateway } from './live.gateway';
import { LiveService } from './live.service';

@Module({
  // AuthModule: WsJwtGuard, the gateway's guard, is built in this module and injects AccessAuthService.
  imports: [TypeOrmModule.forFeature([LiveChannelEntity, LivePublicationEntity, LiveIdempotencyEntity]), RealtimeModule, AuthModule],
  providers: [LiveGateway, LiveService, ChannelHistoryService, ChannelTokensService],
  exports: [LiveService, ChannelTokensService],
})
export class LiveModule {}
