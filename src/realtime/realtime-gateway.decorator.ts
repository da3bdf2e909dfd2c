import { applyDecorators, UseFilters, UseGuards, UsePipes } from '@nestjs/common';
import { WebSocketGateway } from '@nestjs/websockets';
import { validationPipe } from '../common/validation';
import { WsExceptionFilter } from './ws-exception.filter';
import { WsJwtGuard } from './ws-jwt.guard';

/**
 * A Parley namespace: every handler is guarded (rate limit, session, expiry), validated and
 * has its errors mapped by one filter; ParleyIoAdapter acknowledges results as `{ ok, data }`,
 * so every handler returns a value.
 */
export function RealtimeGateway(namespace: string): ClassDecorator {
  return applyDecorators(
    WebSocketGateway({ namespace }),
    UseGuards(WsJwtGuard),
    UsePipes(validationPipe),
    UseFilters(WsExceptionFilter),
  );
}
