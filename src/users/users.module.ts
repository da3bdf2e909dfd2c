import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { BlocklistService } from './blocklist.service';
import { DisplayNameKeySubscriber } from './display-name-key.subscriber';
import { UserEntity } from './user.entity';
import { UsersController } from './users.controller';
import { UsersService } from './users.service';

@Module({
  imports: [TypeOrmModule.forFeature([UserEntity])],
  controllers: [UsersController],
  providers: [UsersService, DisplayNameKeySubscriber, BlocklistService],
  exports: [UsersService, BlocklistService],
})
export class UsersModule {}
