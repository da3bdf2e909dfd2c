import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { RealtimeModule } from '../realtime/realtime.module';
import { SessionsModule } from '../sessions/sessions.module';
import { UsersModule } from '../users/users.module';
import { ChatBroadcast } from './chat-broadcast.service';
import { ChatGateway } from './chat.gateway';
import { MessageEntity } from './message.entity';
import { MessagesService } from './messages.service';
import { PresenceService } from './presence.service';
import { RoomsController } from './rooms.controller';

@Module({
  // SessionsModule: WsJwtGuard, the gateway's guard, is built in this module and injects RevocationService.
  imports: [TypeOrmModule.forFeature([MessageEntity]), RealtimeModule, SessionsModule, UsersModule],
  controllers: [RoomsController],
  providers: [MessagesService, ChatGateway, PresenceService, ChatBroadcast],
  exports: [MessagesService, PresenceService, ChatBroadcast],
})
export class ChatModule {}
