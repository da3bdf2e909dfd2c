import { Inject, Injectable, Logger } from '@nestjs/common';
import type { RemoteSocket } from 'socket.io';
import { RedisService } from '../redis/redis.service';
import { ParleyNamespace, SocketData } from './events';

export type FoundSocket = RemoteSocket<Record<string, (payload: unknown) => void>, SocketData>;

/**
 * Finds the sockets in a room on every node, through the Socket.IO adapter. While Redis is
 * down (or another node does not answer in time) it answers from this node's sockets alone:
 * presence and the per-user cap then see less, which beats a request that hangs.
 */
@Injectable()
export class SocketDirectory {
  private readonly logger = new Logger(SocketDirectory.name);
  private degraded = false;

  constructor(@Inject(RedisService) private readonly redis: RedisService | null) {}

  async inRoom(nsp: ParleyNamespace, room: string): Promise<FoundSocket[]> {
    if (this.redis && !this.redis.available) return this.local(nsp, room);
    try {
      const sockets = (await nsp.in(room).fetchSockets()) as unknown as FoundSocket[];
      this.degraded = false;
      return sockets;
    } catch (error) {
      if (!this.degraded) this.logger.warn(`Other nodes did not answer (${(error as Error).message}); using this node's sockets`);
      this.degraded = true;
      return this.local(nsp, room);
    }
  }

  private async local(nsp: ParleyNamespace, room: string): Promise<FoundSocket[]> {
    return (await nsp.local.in(room).fetchSockets()) as unknown as FoundSocket[];
  }
}
