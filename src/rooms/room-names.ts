import { AppError } from '../common/errors';
import { parseRoomName, RoomRef } from '../protocol';

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
