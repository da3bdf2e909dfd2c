import { Injectable } from '@nestjs/common';
import { JwtPayload } from 'jsonwebtoken';
import { AppConfig } from '../config/app-config';
import { AppError } from '../common/errors';
import { RevocationService } from '../sessions/revocation.service';
import { BlocklistService } from '../users/blocklist.service';
import { UsersService } from '../users/users.service';
import { Principal } from './principal';
import { assertAccessClaims, TokenService } from './token.service';

/**
 * The one authentication path for REST and Socket.IO: the HTTP guard (through passport-jwt,
 * which verifies with the same key and options) and the handshake middleware both end here.
 * Everything but the unverified-email check is in memory.
 */
@Injectable()
export class AccessAuthService {
  constructor(
    private readonly tokens: TokenService,
    private readonly revocation: RevocationService,
    private readonly users: UsersService,
    private readonly config: AppConfig,
    private readonly blocklist: BlocklistService,
  ) {}

  /**
   * Whether the user is blocked (server API), from memory fed by the cluster bus: every
   * verifier of an access token asks this (tokens without a Parley session answer FORBIDDEN).
   */
  isBlocked(userId: string): boolean {
    return this.blocklist.isBlocked(userId);
  }

  /** Verifies a raw access token (signature, alg, iss, aud, exp, type) and its session. */
  authenticate(token: string | undefined | null): Principal {
    if (!token) throw new AppError('TOKEN_MISSING', 'An access token is required');
    return this.principalFromClaims(this.tokens.verifyAccess(token));
  }

  /** For claims whose signature was already verified with `TokenService.accessVerifyOptions`. */
  principalFromClaims(payload: JwtPayload): Principal {
    const claims = assertAccessClaims(payload);
    if (this.revocation.isEnded(claims.sid)) throw new AppError('SESSION_REVOKED', 'The session has ended');
    // A block ends every session; this also covers a session a login in flight created meanwhile.
    if (this.isBlocked(claims.sub)) throw new AppError('SESSION_REVOKED', 'Account blocked');
    return {
      id: claims.sub,
      sid: claims.sid,
      role: claims.role,
      displayName: claims.name,
      emailVerified: claims.ev,
      expiresAt: claims.exp * 1000,
    };
  }

  /**
   * With REQUIRE_EMAIL_VERIFICATION, refuses unverified users. A token minted before the user
   * verified says `ev: false`; only then do we look at the database (and remember the answer).
   */
  async assertEmailVerified(principal: Principal): Promise<void> {
    if (!this.config.requireEmailVerification || principal.emailVerified) return;
    const user = await this.users.findById(principal.id);
    if (user?.emailVerifiedAt) {
      principal.emailVerified = true;
      return;
    }
    throw new AppError('EMAIL_NOT_VERIFIED', 'Verify your email address first');
  }
}
