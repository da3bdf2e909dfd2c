import { Injectable } from '@nestjs/common';

/**
 * Read markers per (user, room) — the seam message.unread is built against. Markers (and
 * `room:read`, which moves them) come with the rooms work (API.md "Read markers"); until they
 * are merged nobody has a marker, so nothing counts as read.
 */
@Injectable()
export class ReadState {
  /** Whether `userId`'s marker in `room` is at or after `messageId`. */
  hasRead(room: string, userId: string, messageId: string): Promise<boolean> {
    void room;
    void userId;
    void messageId;
    return Promise.resolve(false);
  }
}
