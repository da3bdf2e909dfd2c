import { Injectable } from '@nestjs/common';
import { RoomsService } from '../rooms/rooms.service';

/** Conversations this node remembers having made members for; forgotten wholesale past this many. */
const REMEMBERED = 10_000;

/**
 * A DM conversation's two users are members of it (its place in `GET /rooms`, their read
 * markers). The rows are written before the conversation's first message on this node and
 * remembered, so later `dm:send`s between the pair cost no query.
 */
@Injectable()
export class DmMembers {
  private readonly known = new Set<string>();

  constructor(private readonly rooms: RoomsService) {}

  async ensure(room: string, userIds: readonly string[]): Promise<void> {
    if (this.known.has(room)) return;
    await this.rooms.ensureDmMembers(room, userIds);
    if (this.known.size >= REMEMBERED) this.known.clear();
    this.known.add(room);
  }
}
