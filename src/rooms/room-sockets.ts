import { Injectable } from '@nestjs/common';
import type { Chat, RoomRemovedReason, UserSummary } from '../protocol';
import { ParleyNamespace, socketRoom, userRoom } from '../realtime/events';
import { SocketDirectory } from '../realtime/socket-directory';

/**
 * What a membership change does to live sockets, on every node: everything is addressed
 * through the adapter by identity room (`user:<id>`, `room:<name>`), never by socket id, so
 * the Redis adapter carries it to the sockets wherever they are. The emit goes before the
 * leave on the same adapter channel, so a socket hears why before it stops hearing the room.
 */
@Injectable()
export class RoomSockets {
  private nsp: ParleyNamespace<Chat> | null = null;

  constructor(private readonly directory: SocketDirectory) {}

  /** Called by the /chat gateway once its namespace exists. */
  attach(nsp: ParleyNamespace<Chat>): void {
    this.nsp = nsp;
  }

  /** `room:removed` to every /chat socket of the user; those in the room leave it; presence follows. */
  async removed(room: string, user: UserSummary, reason: RoomRemovedReason): Promise<void> {
    const nsp = this.nsp;
    if (!nsp) return;
    const sockets = await this.directory.inRoom(nsp, userRoom(user.id));
    const wasPresent = sockets.some((socket) => socket.rooms.has(socketRoom(room)));
    nsp.to(userRoom(user.id)).emit('room:removed', { room, reason });
    nsp.in(userRoom(user.id)).socketsLeave(socketRoom(room));
    if (wasPresent) nsp.to(socketRoom(room)).emit('presence:leave', { room, user });
  }

  /** `room:deleted` to every socket in the room, which then leaves it. */
  deleted(room: string): void {
    const nsp = this.nsp;
    if (!nsp) return;
    nsp.to(socketRoom(room)).emit('room:deleted', { room });
    nsp.in(socketRoom(room)).socketsLeave(socketRoom(room));
  }
}
