import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { LocalRevocationBus, RevocationBus } from './revocation-bus';
import { RevocationService } from './revocation.service';
import { SessionEntity } from './session.entity';
import { SessionsService } from './sessions.service';

@Module({
  imports: [TypeOrmModule.forFeature([SessionEntity])],
  providers: [{ provide: RevocationBus, useClass: LocalRevocationBus }, RevocationService, SessionsService],
  exports: [RevocationService, SessionsService, RevocationBus],
})
export class SessionsModule {}
