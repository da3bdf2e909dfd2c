import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ExternalUsersService } from './external-users.service';
import { JwksController } from './jwks.controller';
import { LocalKeys } from './local-keys';
import { OidcVerifier } from './oidc-verifier';
import { UserIdentityEntity } from './user-identity.entity';

/** Key sets (kid, current + previous), the JWKS endpoint, and the external OpenID provider. */
@Module({
  imports: [TypeOrmModule.forFeature([UserIdentityEntity])],
  controllers: [JwksController],
  providers: [LocalKeys, OidcVerifier, ExternalUsersService],
  exports: [LocalKeys, OidcVerifier, ExternalUsersService],
})
export class IdentityModule {}
