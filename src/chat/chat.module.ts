import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { RealtimeModule } from '../realtime/realtime.module';
import { ChatGateway } from './chat.gateway';
import { MessageEntity } from './message.entity';
import { MessagesService } from './messages.service';
import { PresenceService } from './presence.service';
import { RoomsController } from './rooms.controller';

@Module({
  imports: [TypeOrmModule.forFeature([MessageEntity]), RealtimeModule],
  controllers: [RoomsController],
  providers: [MessagesService, ChatGateway, PresenceService],
  exports: [MessagesService],
})
export class ChatModule {}
