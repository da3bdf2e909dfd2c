import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { JwtPayload } from 'jsonwebtoken';
import { ExtractJwt, Strategy } from 'passport-jwt';
import { AccessAuthService } from './access-auth.service';
import { Principal } from './principal';
import { TokenService } from './token.service';

/** passport-jwt verifies with TokenService's KeyObject and options; the rest is AccessAuthService. */
@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, 'jwt') {
  constructor(
    tokens: TokenService,
    private readonly accessAuth: AccessAuthService,
  ) {
    const options = tokens.accessVerifyOptions;
    super({
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      // passport-jwt hands this straight to jsonwebtoken.verify, which accepts a KeyObject.
      secretOrKey: tokens.accessKeyObject as unknown as string,
      algorithms: options.algorithms,
      issuer: options.issuer as string,
      audience: options.audience as string,
      ignoreExpiration: false,
      jsonWebTokenOptions: { clockTolerance: 0 },
    });
  }

  validate(payload: JwtPayload): Principal {
    return this.accessAuth.principalFromClaims(payload);
  }
}
