import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { SessionsModule } from '../sessions/sessions.module';
import { ConnectionSlots } from './connection-slots';
import { RealtimeService } from './realtime.service';
import { SocketDirectory } from './socket-directory';
import { WsAuthService } from './ws-auth.service';
import { WsJwtGuard } from './ws-jwt.guard';

@Module({
  imports: [AuthModule, SessionsModule],
  providers: [WsAuthService, RealtimeService, WsJwtGuard, SocketDirectory, ConnectionSlots],
  // WsJwtGuard guards the gateways of the modules that import this one.
  exports: [RealtimeService, WsJwtGuard, SocketDirectory],
})
export class RealtimeModule {}
