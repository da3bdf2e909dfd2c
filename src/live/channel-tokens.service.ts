import { Injectable } from '@nestjs/common';
import { createSecretKey, hkdfSync, KeyObject } from 'node:crypto';
import jwt, { TokenExpiredError } from 'jsonwebtoken';
import { AppError } from '../common/errors';
import { AppConfig } from '../config/app-config';

const ALGORITHM = 'HS256' as const;
const TYPE = 'channel';

/**
 * Channel tokens for `private:` channels: JWTs signed by Parley with a key of their own
 * (derived from JWT_REFRESH_SECRET with HKDF, so no other token verifies as one, and no new
 * secret to configure), `typ: "channel"`, bound to one user (`sub`) and one channel (`ch`),
 * expiring (`exp`, no tolerance). Checked at subscribe only.
 */
@Injectable()
export class ChannelTokensService {
  private readonly key: KeyObject;

  constructor(private readonly config: AppConfig) {
    const derived = hkdfSync('sha256', Buffer.from(config.jwt.refreshSecret, 'utf8'), Buffer.alloc(0), 'parley channel tokens v1', 32);
    this.key = createSecretKey(Buffer.from(derived));
  }

  issue(userId: string, channel: string, ttlMs: number): { token: string; expiresAt: string } {
    const now = Math.floor(Date.now() / 1000);
    const exp = now + Math.floor(ttlMs / 1000);
    const token = jwt.sign({ typ: TYPE, sub: userId, ch: channel, iat: now, exp }, this.key, {
      algorithm: ALGORITHM,
      issuer: this.config.jwt.issuer,
      audience: this.config.jwt.audience,
    });
    return { token, expiresAt: new Date(exp * 1000).toISOString() };
  }

  /** FORBIDDEN unless the token is valid, unexpired, and for this user and this channel. */
  assertGrants(token: string | undefined, userId: string, channel: string): void {
    if (!token) throw new AppError('FORBIDDEN', 'A channel token is required for private: channels');
    let claims: jwt.JwtPayload | string;
    try {
      claims = jwt.verify(token, this.key, {
        algorithms: [ALGORITHM],
        issuer: this.config.jwt.issuer,
        audience: this.config.jwt.audience,
        clockTolerance: 0,
      });
    } catch (error) {
      throw new AppError('FORBIDDEN', error instanceof TokenExpiredError ? 'The channel token has expired' : 'Invalid channel token');
    }
    if (typeof claims === 'string' || claims.typ !== TYPE) throw new AppError('FORBIDDEN', 'Invalid channel token');
    if (claims.sub !== userId || claims.ch !== channel) throw new AppError('FORBIDDEN', 'The channel token is for another user or channel');
  }
}
