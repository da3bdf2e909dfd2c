import { ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import type { Request } from 'express';
import { AppError } from '../common/errors';
import { ALLOW_UNVERIFIED, API_KEY_SCOPE, IS_PUBLIC } from '../common/route-metadata';
import { AccessAuthService } from './access-auth.service';
import { Principal } from './principal';
import { tokenError } from './token.service';

/**
 * Global HTTP guard: bearer token (passport-jwt + AccessAuthService), then the
 * email-verification rule. `@Public()` routes skip it, and so do the server API's routes
 * (`@ApiKeyRoute`), which their own guard checks; an API key is no access token anywhere else.
 */
@Injectable()
export class JwtAuthGuard extends AuthGuard('jwt') {
  constructor(
    private readonly reflector: Reflector,
    private readonly accessAuth: AccessAuthService,
  ) {
    super();
  }

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) return true;
    if (this.reflector.getAllAndOverride<string>(API_KEY_SCOPE, targets)) return true;
    await super.canActivate(context);
    const principal = context.switchToHttp().getRequest<Request & { user: Principal }>().user;
    if (!this.reflector.getAllAndOverride<boolean>(ALLOW_UNVERIFIED, targets)) {
      await this.accessAuth.assertEmailVerified(principal);
    }
    return true;
  }

  override handleRequest<T>(error: unknown, user: T, info: unknown): T {
    if (error) throw tokenError(error);
    if (!user) {
      if (info instanceof Error && info.message === 'No auth token') {
        throw new AppError('TOKEN_MISSING', 'A bearer access token is required');
      }
      throw tokenError(info);
    }
    return user;
  }
}
