import { Principal } from '../auth/principal';
import { AppError } from '../common/errors';
import { ANNOUNCEMENTS, parseRoomName, RoomRef } from '../protocol';

export function parseRoom(name: string): RoomRef {
  const room = parseRoomName(name);
  if (!room) throw new AppError('VALIDATION_FAILED', 'room must be 1-64 characters of a-z 0-9 - _');
  return room;
}

/** Rooms that can be joined and sent to with room events: DMs only go through dm:send. */
export function parsePublicRoom(name: string): string {
  const room = parseRoom(name);
  if (room.kind === 'dm') throw new AppError('FORBIDDEN', 'Direct-message rooms are reachable only through dm:send');
  return room.name;
}

/** History access: public rooms for everyone, a DM room for its two users only. */
export function assertCanRead(name: string, user: Principal): RoomRef {
  const room = parseRoom(name);
  if (room.kind === 'dm' && !room.members.includes(user.id)) {
    throw new AppError('FORBIDDEN', 'Not your conversation');
  }
  return room;
}

export function assertCanSend(room: string, user: Principal): void {
  if (room === ANNOUNCEMENTS && user.role !== 'admin') {
    throw new AppError('FORBIDDEN', 'Only admins may post announcements');
  }
}

/** The Socket.IO room holding a chat room's sockets (kept apart from `user:` / `session:` rooms). */
export const socketRoom = (room: string) => `room:${room}`;
