import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { AppError } from '../common/errors';
import { RevocationService } from '../sessions/revocation.service';
import { ParleySocket, socketState } from './events';

export const REFRESH_EVENT = 'auth:refresh';

/**
 * Runs before every gateway handler, from memory only (no I/O per event):
 * the per-socket rate limit, then the socket's session and token expiry as of now.
 * After expiry only `auth:refresh` gets through.
 */
@Injectable()
export class WsJwtGuard implements CanActivate {
  constructor(private readonly revocation: RevocationService) {}

  canActivate(context: ExecutionContext): boolean {
    const ws = context.switchToWs();
    const socket = ws.getClient<ParleySocket>();
    const { user } = socket.data;
    if (!user) throw new AppError('TOKEN_INVALID', 'Not authenticated');
    if (!socketState(socket).bucket.take()) throw new AppError('RATE_LIMITED', 'Too many events; slow down');
    if (this.revocation.isEnded(user.sid)) {
      socket.disconnect();
      throw new AppError('SESSION_REVOKED', 'The session has ended');
    }
    if (Date.now() >= user.expiresAt && ws.getPattern() !== REFRESH_EVENT) {
      throw new AppError('TOKEN_EXPIRED', 'The access token has expired; send auth:refresh');
    }
    return true;
  }
}
