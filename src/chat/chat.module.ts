import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { RealtimeModule } from '../realtime/realtime.module';
import { SessionsModule } from '../sessions/sessions.module';
import { UsersModule } from '../users/users.module';
import { WebhooksModule } from '../webhooks/webhooks.module';
import { ChatGateway } from './chat.gateway';
import { MessageEntity } from './message.entity';
import { MessagesService } from './messages.service';
import { PresenceService } from './presence.service';
import { ReadState } from './read-state';
import { RoomsController } from './rooms.controller';

@Module({
  // SessionsModule: WsJwtGuard, the gateway's guard, is built in this module and injects RevocationService.
  imports: [TypeOrmModule.forFeature([MessageEntity]), RealtimeModule, SessionsModule, UsersModule, WebhooksModule],
  controllers: [RoomsController],
  providers: [MessagesService, ChatGateway, PresenceService, ReadState],
  exports: [MessagesService],
})
export class ChatModule {}
