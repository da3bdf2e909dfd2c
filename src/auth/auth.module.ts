import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ThrottlerModule } from '@nestjs/throttler';
import { AppConfig } from '../config/app-config';
import { IdentityModule } from '../identity/identity.module';
import { FailoverThrottlerStorage } from '../redis/failover-throttler.storage';
import { RedisService } from '../redis/redis.service';
import { MailModule } from '../mail/mail.module';
import { SessionsModule } from '../sessions/sessions.module';
import { TwoFactorModule } from '../two-factor/two-factor.module';
import { UsersModule } from '../users/users.module';
import { AccessAuthService } from './access-auth.service';
import { AuthThrottlerGuard } from './auth-throttler.guard';
import { AuthController } from './auth.controller';
import { AuthService } from './auth.service';
import { JwtAuthGuard } from './jwt-auth.guard';
import { PasswordHasher } from './password-hasher';
import { TokenService } from './token.service';

@Module({
  imports: [
    IdentityModule,
    UsersModule,
    SessionsModule,
    MailModule,
    TwoFactorModule,
    ThrottlerModule.forRootAsync({
      inject: [AppConfig, RedisService],
      // With Redis the limits hold across nodes.
      useFactory: (config: AppConfig, redis: RedisService | null) => ({
        throttlers: [{ limit: config.authRateLimit.limit, ttl: config.authRateLimit.windowMs }],
        storage: redis ? new FailoverThrottlerStorage(redis) : undefined,
      }),
    }),
  ],
  controllers: [AuthController],
  providers: [TokenService, AccessAuthService, PasswordHasher, AuthService, AuthThrottlerGuard, { provide: APP_GUARD, useClass: JwtAuthGuard }],
  exports: [TokenService, AccessAuthService],
})
export class AuthModule {}
