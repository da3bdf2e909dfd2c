import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuthModule } from '../auth/auth.module';
import { RealtimeModule } from '../realtime/realtime.module';
import { UsersModule } from '../users/users.module';
import { WebhooksModule } from '../webhooks/webhooks.module';
import { ChatGateway } from './chat.gateway';
import { MessageEntity } from './message.entity';
import { MessagesService } from './messages.service';
import { PresenceService } from './presence.service';
import { ReadState } from './read-state';
import { RoomsController } from './rooms.controller';

@Module({
  // AuthModule: WsJwtGuard, the gateway's guard, is built in this module and injects AccessAuthService.
  imports: [TypeOrmModule.forFeature([MessageEntity]), RealtimeModule, AuthModule, UsersModule, WebhooksModule],
  controllers: [RoomsController],
  providers: [MessagesService, ChatGateway, PresenceService, ReadState],
  exports: [MessagesService],
})
export class ChatModule {}
