import { Injectable } from '@nestjs/common';
import type { Chat, UserSummary } from '../protocol';
import { ParleyNamespace, socketRoom, userRoom } from '../realtime/events';
import { SocketDirectory } from '../realtime/socket-directory';

/** presence:leave events sent per turn of the event loop when a socket leaves many rooms at once. */
const LEAVES_PER_TICK = 20;

/**
 * Who is in which room, read from the sockets themselves: `fetchSockets` asks every node
 * through the Socket.IO adapter (in memory on one node, Redis across nodes), so there is no
 * second copy of membership to keep in sync, and a node that dies takes its users' presence
 * with it at once (its sockets stop answering).
 */
@Injectable()
export class PresenceService {
  private nsp: ParleyNamespace<Chat> | null = null;

  constructor(private readonly directory: SocketDirectory) {}

  attach(nsp: ParleyNamespace<Chat>): void {
    this.nsp = nsp;
  }

  async list(room: string): Promise<UserSummary[]> {
    const users = new Map<string, UserSummary>();
    if (!this.nsp) return [];
    for (const socket of await this.directory.inRoom(this.nsp, socketRoom(room))) {
      const user = socket.data.user;
      if (user && !users.has(user.id)) users.set(user.id, { id: user.id, displayName: user.displayName });
    }
    return [...users.values()];
  }

  /**
   * presence:leave for each of `rooms` that none of the user's other sockets (on any node) is
   * in. One cluster-wide question — the user's own sockets, at most WS_MAX_CONNECTIONS_PER_USER,
   * with their rooms — however many rooms, instead of one per room over every socket in it;
   * the events then leave a few per tick, so a socket in many rooms never holds the event loop.
   */
  async left(user: UserSummary, socketId: string, rooms: readonly string[]): Promise<void> {
    const nsp = this.nsp;
    if (!nsp || rooms.length === 0) return;
    const others = (await this.directory.inRoom(nsp, userRoom(user.id))).filter((socket) => socket.id !== socketId);
    const gone = rooms.filter((room) => !others.some((socket) => socket.rooms.has(socketRoom(room))));
    for (let i = 0; i < gone.length; i += LEAVES_PER_TICK) {
      if (i > 0) await new Promise((resolve) => setImmediate(resolve));
      for (const room of gone.slice(i, i + LEAVES_PER_TICK)) nsp.to(socketRoom(room)).emit('presence:leave', { room, user });
    }
  }
}
