import { Injectable } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { AppError } from '../common/errors';
import { decodeJws, DecodedJws } from '../identity/jws';
import { ExternalUsersService } from '../identity/external-users.service';
import { OidcVerifier } from '../identity/oidc-verifier';
import { RevocationService } from '../sessions/revocation.service';
import { UsersService } from '../users/users.service';
import { ExternalPrincipal, Principal } from './principal';
import { TokenService } from './token.service';

/**
 * The one authentication path for REST (JwtAuthGuard), the Socket.IO handshake and
 * `auth:refresh`: Parley's own access tokens and, when configured, the external OpenID
 * provider's. A Parley token is verified in memory; an external one too once its key and its
 * user are cached (the first sight of a user writes its row, an unknown `kid` may read the
 * provider's JWKS). `assertActive` is the per-event check, always in memory.
 */
@Injectable()
export class AccessAuthService {
  constructor(
    private readonly tokens: TokenService,
    private readonly revocation: RevocationService,
    private readonly users: UsersService,
    private readonly config: AppConfig,
    private readonly oidc: OidcVerifier,
    private readonly externalUsers: ExternalUsersService,
  ) {}

  /** Verifies a raw access token (signature, alg, iss, aud, exp, type) and that it still holds. */
  async authenticate(token: string | undefined | null): Promise<Principal> {
    if (!token) throw new AppError('TOKEN_MISSING', 'An access token is required');
    let jws: DecodedJws;
    try {
      jws = decodeJws(token);
    } catch {
      throw new AppError('TOKEN_INVALID', 'Invalid access token');
    }
    // The unverified `iss` only routes the token to its verifier, which checks it again.
    const principal = this.oidc.issuer !== null && jws.payload.iss === this.oidc.issuer ? await this.external(jws) : this.local(jws);
    this.assertActive(principal);
    return principal;
  }

  /**
   * From memory only, on every request and socket event: the session has not ended.
   * Blocking (server API, branch `api`) adds its in-memory check here, for both kinds:
   * external principals have no session to end, so only that check refuses them.
   */
  assertActive(principal: Principal): void {
    if (principal.kind === 'session' && this.revocation.isEnded(principal.sid)) {
      throw new AppError('SESSION_REVOKED', 'The session has ended');
    }
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

  private local(jws: DecodedJws): Principal {
    const claims = this.tokens.verifyDecodedAccess(jws);
    return {
      kind: 'session',
      id: claims.sub,
      sid: claims.sid,
      role: claims.role,
      displayName: claims.name,
      emailVerified: claims.ev,
      expiresAt: claims.exp * 1000,
    };
  }

  private async external(jws: DecodedJws): Promise<ExternalPrincipal> {
    const claims = await this.oidc.verify(jws);
    const user = await this.externalUsers.userFor(claims);
    return {
      kind: 'external',
      id: user.id,
      sid: null,
      role: user.role,
      displayName: user.displayName,
      // The provider vouches for the account; Parley has no mail to verify for it.
      emailVerified: true,
      expiresAt: claims.exp * 1000,
    };
  }
}
