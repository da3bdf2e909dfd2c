import { UserSummary } from '../users/user.view';

/**
 * Who is in which room. A user is present while at least one of their sockets has joined;
 * `add`/`remove` report the first arrival and the last departure so the gateway emits
 * presence:join / presence:leave exactly once. In memory for one node; the Redis
 * implementation spans nodes.
 */
export abstract class PresenceStore {
  /** True if this is the user's first socket in the room. */
  abstract add(room: string, user: UserSummary, socketId: string): Promise<boolean>;
  /** True if that was the user's last socket in the room. */
  abstract remove(room: string, userId: string, socketId: string): Promise<boolean>;
  abstract list(room: string): Promise<UserSummary[]>;
}

export class LocalPresenceStore extends PresenceStore {
  private readonly rooms = new Map<string, Map<string, { user: UserSummary; sockets: Set<string> }>>();

  async add(room: string, user: UserSummary, socketId: string): Promise<boolean> {
    let members = this.rooms.get(room);
    if (!members) this.rooms.set(room, (members = new Map()));
    const entry = members.get(user.id);
    if (entry) {
      entry.sockets.add(socketId);
      return false;
    }
    members.set(user.id, { user: { id: user.id, displayName: user.displayName }, sockets: new Set([socketId]) });
    return true;
  }

  async remove(room: string, userId: string, socketId: string): Promise<boolean> {
    const members = this.rooms.get(room);
    const entry = members?.get(userId);
    if (!members || !entry || !entry.sockets.delete(socketId)) return false;
    if (entry.sockets.size > 0) return false;
    members.delete(userId);
    if (members.size === 0) this.rooms.delete(room);
    return true;
  }

  async list(room: string): Promise<UserSummary[]> {
    return [...(this.rooms.get(room)?.values() ?? [])].map((entry) => entry.user);
  }
}
