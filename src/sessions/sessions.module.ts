import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AppConfig } from '../config/app-config';
import { RedisRevocationBus } from './redis-revocation-bus';
import { RedisService } from '../redis/redis.service';
import { LocalRevocationBus, RevocationBus } from './revocation-bus';
import { RevocationService } from './revocation.service';
import { SessionEntity } from './session.entity';
import { SessionsService } from './sessions.service';

@Module({
  imports: [TypeOrmModule.forFeature([SessionEntity])],
  providers: [
    {
      provide: RevocationBus,
      inject: [AppConfig, RedisService],
      useFactory: (config: AppConfig, redis: RedisService | null): RevocationBus =>
        redis ? new RedisRevocationBus(redis, config.jwt.accessTtlMs) : new LocalRevocationBus(),
    },
    RevocationService,
    SessionsService,
  ],
  exports: [RevocationService, SessionsService, RevocationBus],
})
export class SessionsModule {}
