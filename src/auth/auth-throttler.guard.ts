import { ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import {
  InjectThrottlerOptions,
  InjectThrottlerStorage,
  ThrottlerGuard,
  ThrottlerLimitDetail,
  type ThrottlerModuleOptions,
  type ThrottlerStorage,
} from '@nestjs/throttler';
import type { Request, Response } from 'express';
import { addressBucket } from '../common/client-ip';
import { AppError } from '../common/errors';
import { AppConfig } from '../config/app-config';
import { normalizeEmail } from '../users/users.service';
import { IP_BUDGET } from './decorators';
import { Principal } from './principal';
import { sha256, TokenService } from './token.service';

/**
 * AUTH_RATE_LIMIT, per route. Keys: the verified user on authenticated routes (never a body
 * field: those are the client's to choose); the verified session for refresh; the mfaToken
 * for the second login step; client IP + email (normalised as stored) otherwise, so one IP
 * can't lock out an account and other emails from the same IP are not held back.
 *
 * Routes marked `@IpBudget()` (login, register, forgot, the second step) also share one
 * AUTH_IP_RATE_LIMIT budget per client IP (IPv6 by /64) over every email, so one address
 * cannot keep the hashing threads busy by cycling through emails.
 */
@Injectable()
export class AuthThrottlerGuard extends ThrottlerGuard {
  constructor(
    @InjectThrottlerOptions() options: ThrottlerModuleOptions,
    @InjectThrottlerStorage() storage: ThrottlerStorage,
    reflector: Reflector,
    private readonly config: AppConfig,
    private readonly tokens: TokenService,
  ) {
    super(options, storage, reflector);
  }

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    if (this.reflector.get<boolean>(IP_BUDGET, context.getHandler())) await this.spendIpBudget(context);
    return super.canActivate(context);
  }

  private async spendIpBudget(context: ExecutionContext): Promise<void> {
    const req = context.switchToHttp().getRequest<Request>();
    const { limit, windowMs } = this.config.authIpRateLimit;
    const tracker = `ip-budget:${addressBucket(req.ip ?? 'unknown')}`;
    const record = await this.storageService.increment(tracker, windowMs, limit, windowMs, 'ip');
    if (record.isBlocked) {
      await this.throwThrottlingException(context, { limit, ttl: windowMs, key: tracker, tracker, ...record });
    }
  }

  protected override async getTracker(req: Request & { user?: Principal }): Promise<string> {
    if (req.user) return `user:${req.user.id}`;
    const body: unknown = req.body;
    const field = (name: string): string | null => {
      if (typeof body !== 'object' || body === null) return null;
      const value = (body as Record<string, unknown>)[name];
      return typeof value === 'string' ? value : null;
    };
    const ip = addressBucket(req.ip ?? 'unknown');
    const refreshToken = field('refreshToken');
    if (refreshToken) {
      try {
        return `session:${this.tokens.verifyRefresh(refreshToken).sid}`;
      } catch {
        return `ip:${ip}|bad-refresh`;
      }
    }
    // opaque and only stored hashed: a made-up one costs one indexed lookup and counts per IP as well
    const mfaToken = field('mfaToken');
    if (mfaToken) return `mfa:${sha256(mfaToken)}`;
    return `ip:${ip}|email:${normalizeEmail(field('email') ?? '')}`;
  }

  protected override async throwThrottlingException(context: ExecutionContext, detail: ThrottlerLimitDetail): Promise<void> {
    const seconds = Math.max(1, Math.ceil(detail.timeToBlockExpire));
    context.switchToHttp().getResponse<Response>().setHeader('Retry-After', String(seconds));
    throw new AppError('RATE_LIMITED', `Too many attempts; try again in ${seconds} s`);
  }
}
