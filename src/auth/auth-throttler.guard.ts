import { ExecutionContext, Injectable } from '@nestjs/common';
import { ThrottlerGuard, ThrottlerLimitDetail } from '@nestjs/throttler';
import type { Request } from 'express';
import { decodeJws } from '../identity/jws';
import { AppError } from '../common/errors';
import { Principal } from './principal';

/**
 * AUTH_RATE_LIMIT. Keys: client IP + email for login/register/forgot (so one IP can't lock
 * out an account, and other emails from the same IP are not held back); the session for
 * refresh; the user for authenticated routes. Keys are per route (the guard adds the handler).
 */
@Injectable()
export class AuthThrottlerGuard extends ThrottlerGuard {
  protected override async getTracker(req: Request & { user?: Principal }): Promise<string> {
    const body: unknown = req.body;
    const field = (name: string): string | null => {
      if (typeof body !== 'object' || body === null) return null;
      const value = (body as Record<string, unknown>)[name];
      return typeof value === 'string' ? value : null;
    };
    const refreshToken = field('refreshToken');
    if (refreshToken) {
      // Unverified decode only picks the bucket; the route verifies the token itself.
      const sid = unverifiedSid(refreshToken);
      if (sid) return `session:${sid}`;
    }
    if (req.user) return `user:${req.user.id}`;
    const email = (field('email') ?? '').trim().toLowerCase();
    return `ip:${req.ip ?? 'unknown'}|email:${email}`;
  }

  protected override async throwThrottlingException(
    _context: ExecutionContext,
    detail: ThrottlerLimitDetail,
  ): Promise<void> {
    const seconds = Math.max(1, Math.ceil(detail.timeToBlockExpire));
    throw new AppError('RATE_LIMITED', `Too many attempts; try again in ${seconds} s`);
  }
}

function unverifiedSid(token: string): string | null {
  try {
    const { sid } = decodeJws(token).payload;
    return typeof sid === 'string' ? sid : null;
  } catch {
    return null;
  }
}
