import { Principal } from '../auth/principal';
import { AppError } from '../common/errors';
import { ID_PATTERN } from '../common/ids';

export const ANNOUNCEMENTS = 'announcements';
const PUBLIC_ROOM = /^[a-z0-9_-]{1,64}$/;

export type RoomRef = { kind: 'public'; name: string } | { kind: 'dm'; name: string; members: [string, string] };

/** `dm:<a>:<b>` with the two user ids ordered as strings. */
export function dmRoomName(userA: string, userB: string): string {
  const [a, b] = userA < userB ? [userA, userB] : [userB, userA];
  return `dm:${a}:${b}`;
}

export function parseRoom(name: string): RoomRef {
  if (PUBLIC_ROOM.test(name)) return { kind: 'public', name };
  if (name.startsWith('dm:')) {
    const [a, b] = name.slice(3).split(':');
    if (a && b && ID_PATTERN.test(a) && ID_PATTERN.test(b) && dmRoomName(a, b) === name) {
      return { kind: 'dm', name, members: [a, b] };
    }
  }
  throw new AppError('VALIDATION_FAILED', 'room must be 1-64 characters of a-z 0-9 - _');
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
