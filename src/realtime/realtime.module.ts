import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { RealtimeService } from './realtime.service';
import { SocketDirectory } from './socket-directory';
import { WsAuthService } from './ws-auth.service';
import { WsJwtGuard } from './ws-jwt.guard';

@Module({
  imports: [AuthModule],
  providers: [WsAuthService, RealtimeService, WsJwtGuard, SocketDirectory],
  exports: [RealtimeService, WsJwtGuard, SocketDirectory, AuthModule],
})
export class RealtimeModule {}
