import { Injectable } from '@nestjs/common';
import { createHash, createSecretKey, KeyObject, randomBytes } from 'node:crypto';
import jwt, { JsonWebTokenError, JwtPayload, TokenExpiredError, VerifyOptions } from 'jsonwebtoken';
import { AppConfig } from '../config/app-config';
import { AppError } from '../common/errors';
import { newId } from '../common/ids';
import type { Role } from '../protocol';

/** One fixed algorithm for both token kinds; `none` and every other algorithm are refused. */
const ALGORITHM = 'HS256' as const;

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
 * Signs and verifies JWTs. Keys are `KeyObject`s made once at boot: with a string secret,
 * jsonwebtoken re-imports the key on every call (~40x slower verification).
 */
@Injectable()
export class TokenService {
  private readonly accessKey: KeyObject;
  private readonly refreshKey: KeyObject;
  /** Shared with the passport strategy so REST and sockets verify identically. */
  readonly accessVerifyOptions: VerifyOptions;
  private readonly refreshVerifyOptions: VerifyOptions;

  constructor(private readonly config: AppConfig) {
    this.accessKey = createSecretKey(Buffer.from(config.jwt.accessSecret, 'utf8'));
    this.refreshKey = createSecretKey(Buffer.from(config.jwt.refreshSecret, 'utf8'));
    const common = { algorithms: [ALGORITHM], issuer: config.jwt.issuer, audience: config.jwt.audience, clockTolerance: 0 };
    this.accessVerifyOptions = { ...common };
    this.refreshVerifyOptions = { ...common };
  }

  get accessKeyObject(): KeyObject {
    return this.accessKey;
  }

  get accessTtlSeconds(): number {
    return Math.floor(this.config.jwt.accessTtlMs / 1000);
  }

  signAccess(subject: AccessSubject): IssuedToken {
    const ttlSeconds = this.accessTtlSeconds;
    const nowSeconds = Math.floor(Date.now() / 1000);
    const claims = {
      sub: subject.userId,
      sid: subject.sid,
      role: subject.role,
      name: subject.displayName,
      ev: subject.emailVerified,
      typ: 'access',
      iat: nowSeconds,
      exp: nowSeconds + ttlSeconds,
      jti: newId(),
    };
    const token = jwt.sign(claims, this.accessKey, {
      algorithm: ALGORITHM,
      issuer: this.config.jwt.issuer,
      audience: this.config.jwt.audience,
    });
    return { token, expiresAt: claims.exp * 1000 };
  }

  /** Signature, algorithm, issuer, audience, expiry (no tolerance) and type. */
  verifyAccess(token: string): AccessClaims {
    const payload = this.verify(token, this.accessKey, this.accessVerifyOptions);
    return assertAccessClaims(payload);
  }

  /** A refresh token and the sha256 of its secret, for storing in the session row. */
  signRefresh(userId: string, sid: string): IssuedToken & { secretHash: string } {
    const secret = randomBytes(32).toString('base64url');
    const nowSeconds = Math.floor(Date.now() / 1000);
    const exp = nowSeconds + Math.floor(this.config.jwt.refreshTtlMs / 1000);
    const token = jwt.sign({ sub: userId, sid, sec: secret, typ: 'refresh', iat: nowSeconds, exp }, this.refreshKey, {
      algorithm: ALGORITHM,
      issuer: this.config.jwt.issuer,
      audience: this.config.jwt.audience,
    });
    return { token, expiresAt: exp * 1000, secretHash: sha256(secret) };
  }

  verifyRefresh(token: string): RefreshClaims {
    const payload = this.verify(token, this.refreshKey, this.refreshVerifyOptions, 'refresh token');
    if (
      payload.typ !== 'refresh' ||
      typeof payload.sub !== 'string' ||
      typeof payload.sid !== 'string' ||
      typeof payload.sec !== 'string'
    ) {
      throw new AppError('TOKEN_INVALID', 'Invalid refresh token');
    }
    return payload as RefreshClaims;
  }

  private verify(token: string, key: KeyObject, options: VerifyOptions, what = 'access token'): JwtPayload {
    try {
      const payload = jwt.verify(token, key, options);
      if (typeof payload === 'string') throw new AppError('TOKEN_INVALID', `Invalid ${what}`);
      return payload;
    } catch (error) {
      throw tokenError(error, what);
    }
  }
}

/** Maps jsonwebtoken's errors to ours; never echoes the token. */
export function tokenError(error: unknown, what = 'access token'): AppError {
  if (error instanceof AppError) return error;
  if (error instanceof TokenExpiredError) return new AppError('TOKEN_EXPIRED', `The ${what} has expired`);
  if (error instanceof JsonWebTokenError) return new AppError('TOKEN_INVALID', `Invalid ${what}`);
  return new AppError('TOKEN_INVALID', `Invalid ${what}`);
}

export function assertAccessClaims(payload: JwtPayload): AccessClaims {
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
  return payload as AccessClaims;
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
