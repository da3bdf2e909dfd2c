import { Injectable } from '@nestjs/common';
import type { Chat } from '../protocol';
import { parseRoomName } from '../protocol';
import { ParleyNamespace, socketRoom, userRoom } from '../realtime/events';

/**
 * Broadcasts of the message lifecycle, for whoever changes a message (a socket, a REST route,
 * the server API): to the room's sockets, or for a DM to every socket of its two users.
 */
@Injectable()
export class ChatEmitter {
  private nsp: ParleyNamespace<Chat> | null = null;

  attach(nsp: ParleyNamespace<Chat>): void {
    this.nsp = nsp;
  }

  /** The sockets that hear about a room's messages. */
  audience(room: string) {
    if (!this.nsp) return null;
    const ref = parseRoomName(room);
    return ref?.kind === 'dm' ? this.nsp.to(ref.members.map(userRoom)) : this.nsp.to(socketRoom(room));
  }
}
