import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { ALLOW_UNVERIFIED, IS_PUBLIC } from '../common/route-metadata';
import { AccessAuthService } from './access-auth.service';
import { Principal } from './principal';

/**
 * Global HTTP guard: the bearer token through AccessAuthService (the same path as the
 * Socket.IO handshake), then the email-verification rule. `@Public()` routes skip it.
 */
@Injectable()
export class JwtAuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly accessAuth: AccessAuthService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) return true;
    const request = context.switchToHttp().getRequest<Request & { user?: Principal }>();
    const principal = await this.accessAuth.authenticate(bearerToken(request.headers.authorization));
    request.user = principal;
    if (!this.reflector.getAllAndOverride<boolean>(ALLOW_UNVERIFIED, targets)) {
      await this.accessAuth.assertEmailVerified(principal);
    }
    return true;
  }
}

/** `Authorization: Bearer <token>` (scheme case-insensitive), else null. */
export function bearerToken(header: string | undefined): string | null {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return match ? match[1] : null;
}
