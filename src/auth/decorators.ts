import { createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';
import type { Request } from 'express';
import { Role } from '../users/user.entity';
import { Principal } from './principal';

export const IS_PUBLIC = 'parley:public';
export const ALLOW_UNVERIFIED = 'parley:allow-unverified';
export const ROLES_KEY = 'parley:roles';

/** No bearer token needed. */
export const Public = () => SetMetadata(IS_PUBLIC, true);
/** Reachable by users who have not verified their email, even with REQUIRE_EMAIL_VERIFICATION. */
export const AllowUnverified = () => SetMetadata(ALLOW_UNVERIFIED, true);
/** Only these roles may call the route. */
export const Roles = (...roles: Role[]) => SetMetadata(ROLES_KEY, roles);

/** The authenticated caller (`request.user`). */
export const CurrentUser = createParamDecorator((_: unknown, ctx: ExecutionContext): Principal => {
  return ctx.switchToHttp().getRequest<Request & { user: Principal }>().user;
});
