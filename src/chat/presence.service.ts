import { Injectable } from '@nestjs/common';
import type { UserSummary } from '../protocol';
import { ParleyNamespace } from '../realtime/events';
import { SocketDirectory } from '../realtime/socket-directory';
import { socketRoom } from './rooms';

/**
 * Who is in which room, read from the sockets themselves: `fetchSockets` on the room asks
 * every node through the Socket.IO adapter (in memory on one node, Redis across nodes), so
 * there is no second copy of membership to keep in sync, and a node that dies takes its
 * users' presence with it at once (its sockets stop answering).
 */
@Injectable()
export class PresenceService {
  private nsp: ParleyNamespace | null = null;

  constructor(private readonly directory: SocketDirectory) {}

  attach(nsp: ParleyNamespace): void {
    this.nsp = nsp;
  }

  async list(room: string): Promise<UserSummary[]> {
    const users = new Map<string, UserSummary>();
    for (const socket of await this.sockets(room)) {
      const user = socket.data.user;
      if (user && !users.has(user.id)) users.set(user.id, { id: user.id, displayName: user.displayName });
    }
    return [...users.values()];
  }

  /** Whether the user has a socket in the room other than `exceptSocketId`, on any node. */
  async isPresent(room: string, userId: string, exceptSocketId: string): Promise<boolean> {
    const sockets = await this.sockets(room);
    return sockets.some((socket) => socket.id !== exceptSocketId && socket.data.user?.id === userId);
  }

  private async sockets(room: string) {
    if (!this.nsp) return [];
    return this.directory.inRoom(this.nsp, socketRoom(room));
  }
}
