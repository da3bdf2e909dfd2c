import type { Message, RoomEntry, RoomRemovedReason } from '../../../src/protocol';
import type { ChatClient } from './chat';
import { Emitter } from './emitter';

/** The room list an app shows, kept up to date from `/chat` events between two `GET /rooms`. */
export type RoomDirectoryEvents = {
  /** The list changed: every entry, most recent activity first. */
  change: (rooms: RoomEntry[]) => void;
  /** A room left the list: the user left, was removed or banned, or the room was deleted. */
  gone: (data: { room: string; reason: RoomRemovedReason | 'deleted' }) => void;
};

export interface RoomDirectoryOptions {
  /** `GET /rooms` (RoomsApi.list). */
  list: () => Promise<RoomEntry[]>;
  chat: Pick<ChatClient, 'on' | 'markRead'>;
  userId: () => string | null;
}

/** Unread counts stop at 1000 ("1000 or more"), as on the server. */
const UNREAD_CAP = 1000;

/**
 * The caller's rooms with unread counts. A message from someone else counts as unread until
 * `markRead`; `room:read` from another device sets the count the server computed; removal and
 * deletion drop the room (`gone`). What the events cannot tell exactly (a deletion inside the
 * unread part, a message in a room not listed yet) is asked of the server again.
 */
export class RoomDirectory extends Emitter<RoomDirectoryEvents> {
  private readonly entries = new Map<string, RoomEntry>();
  private loading: Promise<RoomEntry[]> | null = null;
  private reloadAgain = false;

  constructor(private readonly options: RoomDirectoryOptions) {
    super();
    const { chat } = options;
    chat.on('message:new', (m) => this.arrived(m));
    chat.on('dm:new', (m) => this.arrived(m));
    chat.on('message:updated', (m) => this.patch(m.room, (e) => (e.lastMessage?.id === m.id ? { ...e, lastMessage: m } : e)));
    chat.on('message:deleted', ({ room, id }) => {
      const entry = this.entries.get(room);
      if (!entry) return;
      if (entry.lastMessage?.id === id) this.patch(room, (e) => ({ ...e, lastMessage: e.lastMessage && tombstone(e.lastMessage) }));
      // Deleted messages are never unread, but whether this one was unread only the server knows.
      if (entry.unread > 0) void this.reload();
    });
    chat.on('room:read', ({ room, unread }) => this.patch(room, (e) => ({ ...e, unread })));
    chat.on('room:removed', ({ room, reason }) => this.drop(room, reason));
    chat.on('room:deleted', ({ room }) => this.drop(room, 'deleted'));
  }

  /** Every entry, most recent activity (latest message, else creation) first. */
  get rooms(): RoomEntry[] {
    return [...this.entries.values()].sort((a, b) => activity(b).localeCompare(activity(a)));
  }

  get(room: string): RoomEntry | undefined {
    return this.entries.get(room);
  }

  /** `GET /rooms` again (concurrent calls share one request, one more follows if asked meanwhile). */
  reload(): Promise<RoomEntry[]> {
    if (this.loading) {
      this.reloadAgain = true;
      return this.loading;
    }
    this.loading = this.options
      .list()
      .then((rooms) => {
        this.entries.clear();
        for (const entry of rooms) this.entries.set(entry.name, entry);
        this.changed();
        return this.rooms;
      })
      .finally(() => {
        this.loading = null;
        if (this.reloadAgain) {
          this.reloadAgain = false;
          void this.reload().catch(() => undefined);
        }
      });
    return this.loading;
  }

  /** Marks everything up to `messageId` read; the count becomes the server's answer. */
  async markRead(room: string, messageId: string): Promise<number> {
    const { unread } = await this.options.chat.markRead(room, messageId);
    this.patch(room, (e) => ({ ...e, unread }));
    return unread;
  }

  private arrived(m: Message): void {
    const entry = this.entries.get(m.room);
    if (!entry) {
      // A DM with someone new, or a room we were just added to: the server has its details.
      void this.reload().catch(() => undefined);
      return;
    }
    const newer = !entry.lastMessage || m.id > entry.lastMessage.id;
    const fromOther = m.sender.id !== this.options.userId() && !m.deletedAt;
    this.patch(m.room, (e) => ({
      ...e,
      lastMessage: newer ? m : e.lastMessage,
      unread: fromOther ? Math.min(UNREAD_CAP, e.unread + 1) : e.unread,
    }));
  }

  private patch(room: string, update: (entry: RoomEntry) => RoomEntry): void {
    const entry = this.entries.get(room);
    if (!entry) return;
    const next = update(entry);
    if (next === entry) return;
    this.entries.set(room, next);
    this.changed();
  }

  private drop(room: string, reason: RoomRemovedReason | 'deleted'): void {
    this.entries.delete(room);
    this.changed();
    this.emit('gone', { room, reason });
  }

  private changed(): void {
    this.emit('change', this.rooms);
  }
}

const activity = (entry: RoomEntry) => entry.lastMessage?.createdAt ?? entry.createdAt;
const tombstone = (m: Message): Message => ({ ...m, body: '', reactions: [], deletedAt: m.deletedAt ?? new Date().toISOString() });
