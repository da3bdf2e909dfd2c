import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ChatModule } from '../chat/chat.module';
import { DashboardModule } from '../dashboard/dashboard.module';
import { LiveModule } from '../live/live.module';
import { RealtimeModule } from '../realtime/realtime.module';
import { SessionsModule } from '../sessions/sessions.module';
import { UsersModule } from '../users/users.module';
import { WebhooksModule } from '../webhooks/webhooks.module';
import { ApiKeyGuard } from './api-key.guard';
import { ApiKeysModule } from './api-keys.module';
import { ServerApiController } from './server-api.controller';
import { ServerApiService } from './server-api.service';

@Module({
  imports: [ApiKeysModule, ChatModule, LiveModule, DashboardModule, RealtimeModule, SessionsModule, UsersModule, WebhooksModule],
  controllers: [ServerApiController],
  providers: [ServerApiService, { provide: APP_GUARD, useClass: ApiKeyGuard }],
})
export class ServerApiModule {}
