import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { UsersModule } from '../users/users.module';
import { MfaChallengeEntity } from './mfa-challenge.entity';
import { RecoveryCodeEntity } from './recovery-code.entity';
import { TwoFactorService } from './two-factor.service';

@Module({
  imports: [TypeOrmModule.forFeature([RecoveryCodeEntity, MfaChallengeEntity]), UsersModule],
  providers: [TwoFactorService],
  exports: [TwoFactorService],
})
export class TwoFactorModule {}
