import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import { Principal } from '../auth/principal';
import { ParleySocket } from './events';

/** The socket's authenticated user (`socket.data.user`), for gateway handlers. */
export const WsUser = createParamDecorator((_: unknown, ctx: ExecutionContext): Principal => {
  return ctx.switchToWs().getClient<ParleySocket>().data.user;
});
