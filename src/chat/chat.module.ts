import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuthModule } from '../auth/auth.module';
import { RealtimeModule } from '../realtime/realtime.module';
import { RoomsModule } from '../rooms/rooms.module';
import { UsersModule } from '../users/users.module';
import { ChatEmitter } from './chat-emitter';
import { WebhooksModule } from '../webhooks/webhooks.module';
import { ChatGateway } from './chat.gateway';
import { DmMembers } from './dm-members';
import { MessageEntity } from './message.entity';
import { MessagesService } from './messages.service';
import { PresenceService } from './presence.service';
import { RoomDirectory } from './room-directory.service';
import { RoomsController } from './rooms.controller';

@Module({
  // AuthModule: WsJwtGuard, the gateway's guard, is built in this module and injects AccessAuthService.
  imports: [TypeOrmModule.forFeature([MessageEntity]), RealtimeModule, AuthModule, UsersModule, RoomsModule, WebhooksModule],
  controllers: [RoomsController],
  providers: [MessagesService, ChatGateway, PresenceService, ChatEmitter, DmMembers, RoomDirectory],
  // the server API posts and deletes (deleteMessage) through MessagesService, delivers with ChatEmitter, reads presence
  exports: [MessagesService, ChatEmitter, PresenceService],
})
export class ChatModule {}
