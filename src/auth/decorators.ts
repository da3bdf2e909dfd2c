import { createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';
import type { Request } from 'express';
import { Principal } from './principal';

/** The authenticated caller (`request.user`). */
export const CurrentUser = createParamDecorator((_: unknown, ctx: ExecutionContext): Principal => {
  return ctx.switchToHttp().getRequest<Request & { user: Principal }>().user;
});

export const IP_BUDGET = 'parley:ip-budget';
/** The route spends the caller's AUTH_IP_RATE_LIMIT budget (see AuthThrottlerGuard). */
export const IpBudget = () => SetMetadata(IP_BUDGET, true);
