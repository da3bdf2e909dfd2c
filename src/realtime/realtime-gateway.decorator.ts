import { applyDecorators, UseFilters, UseGuards, UseInterceptors, UsePipes } from '@nestjs/common';
import { WebSocketGateway } from '@nestjs/websockets';
import { validationPipe } from '../common/validation';
import { WsAckInterceptor } from './ws-ack.interceptor';
import { WsExceptionFilter } from './ws-exception.filter';
import { WsJwtGuard } from './ws-jwt.guard';

/**
 * A Parley namespace: every handler is guarded (rate limit, session, expiry), validated,
 * acknowledged as `{ ok, data }` and has its errors mapped by one filter.
 */
export function RealtimeGateway(namespace: string): ClassDecorator {
  return applyDecorators(
    WebSocketGateway({ namespace }),
    UseGuards(WsJwtGuard),
    UsePipes(validationPipe),
    UseInterceptors(WsAckInterceptor),
    UseFilters(WsExceptionFilter),
  );
}
