import { Injectable } from '@nestjs/common';
import type { IncomingHttpHeaders } from 'node:http';
import { AccessAuthService } from '../auth/access-auth.service';
import { Principal } from '../auth/principal';
import { clientIp, compileTrust, TrustFunction } from '../common/client-ip';
import { AppError } from '../common/errors';
import { AppConfig } from '../config/app-config';
import type { Role } from '../protocol';
import { admittedAddress, isOverConnectLimit } from './engine-admission';
import { ParleySocket } from './events';
import { isOriginAllowed } from './origin-policy';
import { FixedWindowLimiter } from './rate-limiters';

export interface HandshakeRules {
  /** Only this role may connect (e.g. `admin` for /dashboard). */
  role?: Role;
  /** The namespace receives the server API's `notification` events (/chat, /live). */
  notifications?: boolean;
}

/**
 * Handshake authentication, shared by every namespace. It runs as Socket.IO namespace
 * middleware (`nsp.use`) because Nest guards never run on connection, only on events;
 * `WsJwtGuard` re-checks on every event from what this puts on `socket.data.user`.
 */
@Injectable()
export class WsAuthService {
  private readonly connectLimiter: FixedWindowLimiter;
  private readonly trust: TrustFunction;

  constructor(
    private readonly config: AppConfig,
    private readonly accessAuth: AccessAuthService,
  ) {
    this.connectLimiter = new FixedWindowLimiter(config.wsConnectRateLimit);
    this.trust = compileTrust(config.trustProxy);
  }

  /** Origin → connect rate → token → session → verified email → role. */
  async authenticate(socket: ParleySocket, rules: HandshakeRules): Promise<Principal> {
    const { headers } = socket.handshake;
    const origin = headers.origin;
    if (origin && !isOriginAllowed(this.config, origin, headers.host ?? null)) {
      throw new AppError('ORIGIN_NOT_ALLOWED', 'This origin may not connect');
    }
    if (isOverConnectLimit(socket.request) || !this.connectLimiter.hit(this.clientIp(socket))) {
      throw new AppError('RATE_LIMITED', 'Too many connection attempts; slow down');
    }
    const principal = await this.accessAuth.authenticate(this.extractToken(socket));
    await this.accessAuth.assertEmailVerified(principal);
    if (rules.role && principal.role !== rules.role) {
      throw new AppError('FORBIDDEN', `Only ${rules.role} users may connect here`);
    }
    return principal;
  }

  /**
   * `auth.token` (browsers) or `Authorization: Bearer` (server-side clients). A token in the
   * query string is refused outright: URLs end up in proxy and access logs.
   */
  private extractToken(socket: ParleySocket): string | null {
    const query = socket.handshake.query as Record<string, unknown>;
    if (query.token !== undefined || query.access_token !== undefined) {
      throw new AppError('TOKEN_INVALID', 'Tokens in the query string are refused; send auth.token or an Authorization header');
    }
    const auth = socket.handshake.auth as Record<string, unknown> | undefined;
    if (typeof auth?.token === 'string' && auth.token.length > 0) return auth.token;
    return bearer(socket.handshake.headers);
  }

  /** The same rule as Express's `req.ip` (TRUST_PROXY): a client cannot pick its own bucket. */
  clientIp(socket: ParleySocket): string {
    return admittedAddress(socket.request) ?? clientIp(socket.request, this.trust);
  }
}

function bearer(headers: IncomingHttpHeaders): string | null {
  const match = /^Bearer\s+(\S+)$/i.exec(headers.authorization ?? '');
  return match ? match[1] : null;
}
