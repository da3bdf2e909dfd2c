import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { AppError } from '../common/errors';
import { AccessAuthService } from '../auth/access-auth.service';
import { ParleySocket, socketState } from './events';

export const REFRESH_EVENT = 'auth:refresh';

/**
 * Runs before every gateway handler, from memory only (no I/O per event):
 * the per-socket rate limit, then the socket's principal still holds (AccessAuthService.assertActive)
 * and its token's expiry as of now.
 * After expiry only `auth:refresh` gets through.
 */
@Injectable()
export class WsJwtGuard implements CanActivate {
  constructor(private readonly accessAuth: AccessAuthService) {}

  canActivate(context: ExecutionContext): boolean {
    const ws = context.switchToWs();
    const socket = ws.getClient<ParleySocket>();
    const { user } = socket.data;
    if (!user) throw new AppError('TOKEN_INVALID', 'Not authenticated');
    if (!socketState(socket).bucket.take()) throw new AppError('RATE_LIMITED', 'Too many events; slow down');
    try {
      this.accessAuth.assertActive(user);
    } catch (error) {
      socket.disconnect();
      throw error;
    }
    if (Date.now() >= user.expiresAt && ws.getPattern() !== REFRESH_EVENT) {
      throw new AppError('TOKEN_EXPIRED', 'The access token has expired; send auth:refresh');
    }
    return true;
  }
}
