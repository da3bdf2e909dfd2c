import { Injectable } from '@nestjs/common';
import { createHash, randomBytes } from 'node:crypto';
import { AppConfig } from '../config/app-config';
import { AppError } from '../common/errors';
import { newId } from '../common/ids';
import { checkTimes, hasAudience } from '../identity/claims';
import { decodeJws, DecodedJws, signJws, verifyJwsSignature } from '../identity/jws';
import { KeyRing, LocalKeys } from '../identity/local-keys';
import type { Role } from '../protocol';

export interface AccessClaims {
  sub: string;
  sid: string;
  role: Role;
  /** display name, so sockets need no user lookup */
  name: string;
  /** email verified when the token was issued */
  ev: boolean;
  typ: 'access';
  exp: number;
  jti: string;
}

export interface RefreshClaims {
  sub: string;
  sid: string;
  /** base64url of 256 random bits; only its sha256 is stored */
  sec: string;
  typ: 'refresh';
  exp: number;
}

export interface AccessSubject {
  userId: string;
  sid: string;
  role: Role;
  displayName: string;
  emailVerified: boolean;
}

export interface IssuedToken {
  token: string;
  /** ms since epoch */
  expiresAt: number;
}

/**
 * Signs and verifies Parley's JWTs. Keys are `KeyObject`s made once at boot (LocalKeys): with a
 * string secret, jsonwebtoken re-imported the key on every call (~40x slower verification).
 * Each token's `kid` picks its one key (current or previous), whose algorithm is pinned.
 */
@Injectable()
export class TokenService {
  constructor(
    private readonly config: AppConfig,
    private readonly keys: LocalKeys,
  ) {}

  get accessTtlSeconds(): number {
    return Math.floor(this.config.jwt.accessTtlMs / 1000);
  }

  signAccess(subject: AccessSubject): IssuedToken {
    const nowSeconds = Math.floor(Date.now() / 1000);
    const claims = {
      sub: subject.userId,
      sid: subject.sid,
      role: subject.role,
      name: subject.displayName,
      ev: subject.emailVerified,
      typ: 'access',
      iat: nowSeconds,
      exp: nowSeconds + this.accessTtlSeconds,
      jti: newId(),
      iss: this.config.jwt.issuer,
      aud: this.config.jwt.audience,
    };
    return { token: signJws(claims, this.keys.access.signer), expiresAt: claims.exp * 1000 };
  }

  /** Signature, algorithm, issuer, audience, expiry (no tolerance) and type. */
  verifyAccess(token: string): AccessClaims {
    return assertAccessClaims(this.verify(decode(token, 'access token'), this.keys.access, 'access token'));
  }

  /** Verifies a token already decoded (AccessAuthService reads `iss` first to route it). */
  verifyDecodedAccess(jws: DecodedJws): AccessClaims {
    return assertAccessClaims(this.verify(jws, this.keys.access, 'access token'));
  }

  /** A refresh token and the sha256 of its secret, for storing in the session row. */
  signRefresh(userId: string, sid: string): IssuedToken & { secretHash: string } {
    const secret = randomBytes(32).toString('base64url');
    const nowSeconds = Math.floor(Date.now() / 1000);
    const exp = nowSeconds + Math.floor(this.config.jwt.refreshTtlMs / 1000);
    const claims = {
      sub: userId,
      sid,
      sec: secret,
      typ: 'refresh',
      iat: nowSeconds,
      exp,
      iss: this.config.jwt.issuer,
      aud: this.config.jwt.audience,
    };
    return { token: signJws(claims, this.keys.refresh.signer), expiresAt: exp * 1000, secretHash: sha256(secret) };
  }

  verifyRefresh(token: string): RefreshClaims {
    const payload = this.verify(decode(token, 'refresh token'), this.keys.refresh, 'refresh token');
    if (payload.typ !== 'refresh' || typeof payload.sub !== 'string' || typeof payload.sid !== 'string' || typeof payload.sec !== 'string') {
      throw new AppError('TOKEN_INVALID', 'Invalid refresh token');
    }
    return payload as unknown as RefreshClaims;
  }

  /** The key named by `kid` (unknown: refused), then issuer, audience, expiry. */
  private verify(jws: DecodedJws, ring: KeyRing, what: string): Record<string, unknown> {
    const key = ring.keyFor(jws.header);
    if (!key || !verifyJwsSignature(jws, key)) throw new AppError('TOKEN_INVALID', `Invalid ${what}`);
    const { payload } = jws;
    if (payload.iss !== this.config.jwt.issuer || !hasAudience(payload.aud, this.config.jwt.audience)) {
      throw new AppError('TOKEN_INVALID', `Invalid ${what}`);
    }
    checkTimes(payload, what);
    return payload;
  }
}

function decode(token: string, what: string): DecodedJws {
  try {
    return decodeJws(token);
  } catch {
    throw new AppError('TOKEN_INVALID', `Invalid ${what}`);
  }
}

export function assertAccessClaims(payload: Record<string, unknown>): AccessClaims {
  if (
    payload.typ !== 'access' ||
    typeof payload.sub !== 'string' ||
    typeof payload.sid !== 'string' ||
    (payload.role !== 'user' && payload.role !== 'admin') ||
    typeof payload.name !== 'string' ||
    typeof payload.ev !== 'boolean' ||
    typeof payload.exp !== 'number'
  ) {
    throw new AppError('TOKEN_INVALID', 'Invalid access token');
  }
  return payload as unknown as AccessClaims;
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
