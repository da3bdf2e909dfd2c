import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { RealtimeModule } from '../realtime/realtime.module';
import { UsersModule } from '../users/users.module';
import { WebhooksModule } from '../webhooks/webhooks.module';
import { BanEntity } from './ban.entity';
import { MembershipEntity } from './membership.entity';
import { RoomSockets } from './room-sockets';
import { RoomEntity } from './room.entity';
import { RoomsService } from './rooms.service';

@Module({
  imports: [TypeOrmModule.forFeature([RoomEntity, MembershipEntity, BanEntity]), RealtimeModule, UsersModule, WebhooksModule],
  providers: [RoomsService, RoomSockets],
  exports: [RoomsService, RoomSockets],
})
export class RoomsModule {}
