import { applyDecorators, UseFilters, UseGuards } from '@nestjs/common';
import { WebSocketGateway } from '@nestjs/websockets';
import { WsExceptionFilter } from './ws-exception.filter';
import { WsJwtGuard } from './ws-jwt.guard';

/**
 * A Parley namespace: every handler is guarded (rate limit, session, expiry) and has its errors
 * mapped by one filter; payloads are validated against the protocol by `@Payload(schema)`;
 * ParleyIoAdapter acknowledges results as `{ ok, data }`, so every handler returns a value.
 */
export function RealtimeGateway(namespace: string): ClassDecorator {
  return applyDecorators(WebSocketGateway({ namespace }), UseGuards(WsJwtGuard), UseFilters(WsExceptionFilter));
}
