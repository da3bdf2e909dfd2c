import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ThrottlerStorage, ThrottlerStorageService } from '@nestjs/throttler';
import type { Request, Response } from 'express';
import { AppError } from '../common/errors';
import { API_KEY_SCOPE } from '../common/route-metadata';
import { AppConfig } from '../config/app-config';
import type { ApiKeyScope } from '../protocol';
import { FailoverThrottlerStorage } from '../redis/failover-throttler.storage';
import { RedisService } from '../redis/redis.service';
import { ApiKeyPrincipal, ApiKeysService } from './api-keys.service';

export type ApiRequest = Request & { apiKey?: ApiKeyPrincipal };

/**
 * Global guard for `@ApiKeyRoute(scope)` routes (`/api/v1`; other routes pass untouched, the
 * user-token guard has them): the bearer must be an API key (a user's access token is 401),
 * within API_RATE_LIMIT (per key; shared through Redis when set), with the route's scope (403).
 * Global, so a server API route can never be left without it.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  private readonly counters: ThrottlerStorage;

  constructor(
    private readonly reflector: Reflector,
    private readonly keys: ApiKeysService,
    private readonly config: AppConfig,
    @Inject(RedisService) redis: RedisService | null,
  ) {
    this.counters = redis ? new FailoverThrottlerStorage(redis) : new ThrottlerStorageService();
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const scope = this.reflector.getAllAndOverride<ApiKeyScope | undefined>(API_KEY_SCOPE, [context.getHandler(), context.getClass()]);
    if (!scope) return true;
    const http = context.switchToHttp();
    const request = http.getRequest<ApiRequest>();
    const match = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '');
    const key = this.keys.authenticate(match ? match[1] : null);
    const { limit, windowMs } = this.config.apiRateLimit;
    const record = await this.counters.increment(`api-key:${key.id}`, windowMs, limit, windowMs, 'api');
    if (record.isBlocked) {
      const seconds = Math.max(1, Math.ceil(record.timeToBlockExpire));
      http.getResponse<Response>().setHeader('Retry-After', String(seconds));
      throw new AppError('RATE_LIMITED', `API_RATE_LIMIT reached for this key; retry in ${seconds} s`);
    }
    if (!key.scopes.includes(scope)) throw new AppError('FORBIDDEN', `This API key lacks the "${scope}" scope`);
    request.apiKey = key;
    return true;
  }
}
