import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { RealtimeModule } from '../realtime/realtime.module';
import { ChatGateway } from './chat.gateway';
import { MessageEntity } from './message.entity';
import { MessagesService } from './messages.service';
import { LocalPresenceStore, PresenceStore } from './presence.store';
import { RoomsController } from './rooms.controller';

@Module({
  imports: [TypeOrmModule.forFeature([MessageEntity]), RealtimeModule],
  controllers: [RoomsController],
  providers: [MessagesService, ChatGateway, { provide: PresenceStore, useClass: LocalPresenceStore }],
  exports: [MessagesService],
})
export class ChatModule {}
