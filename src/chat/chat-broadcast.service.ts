import { Injectable } from '@nestjs/common';
import { Chat, Message, parseRoomName } from '../protocol';
import { ParleyNamespace, userRoom } from '../realtime/events';
import { socketRoom } from './rooms';

/**
 * Chat broadcasts for callers outside the gateway (the server API): to the room's sockets, or
 * to both users of a DM, on every node (identity rooms through the adapter).
 */
@Injectable()
export class ChatBroadcast {
  private nsp: ParleyNamespace<Chat> | null = null;

  attach(nsp: ParleyNamespace<Chat>): void {
    this.nsp = nsp;
  }

  messageNew(message: Message): void {
    const room = parseRoomName(message.room);
    if (room?.kind === 'dm') this.nsp?.to(room.members.map(userRoom)).emit('dm:new', message);
    else this.nsp?.to(socketRoom(message.room)).emit('message:new', message);
  }

  messageDeleted(roomName: string, id: string): void {
    const room = parseRoomName(roomName);
    const target = room?.kind === 'dm' ? room.members.map(userRoom) : socketRoom(roomName);
    this.nsp?.to(target).emit('message:deleted', { room: roomName, id });
  }
}
