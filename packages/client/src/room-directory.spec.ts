import type { Chat, Message, RoomEntry, ServerPayloadOf } from '../../../src/protocol';
import { Emitter } from './emitter';
import { RoomDirectory } from './room-directory';

type Events = { [K in keyof Chat['server'] & string]: (payload: ServerPayloadOf<Chat, K>) => void };

/** `/chat` events as a ChatClient hands them to the app. */
class ScriptedEvents extends Emitter<Events> {
  reads: Array<{ room: string; messageId: string }> = [];
  unreadAfterRead = 0;
  push<K extends keyof Events>(event: K, ...payload: Parameters<Events[K]>) {
    this.emit(event, ...payload);
  }
  markRead = async (room: string, messageId: string) => {
    this.reads.push({ room, messageId });
    return { room, messageId, unread: this.unreadAfterRead };
  };
}

const at = (n: number) => `2026-01-01T00:00:${String(n).padStart(2, '0')}.000Z`;
const msg = (n: number, room: string, sender = 'other'): Message => ({
  id: `01J00000000000000000000${String(n).padStart(3, '0')}`,
  room,
  body: `m${n}`,
  sender: { id: sender, displayName: sender },
  createdAt: at(n),
  editedAt: null,
  deletedAt: null,
  reactions: [],
});
const entry = (name: string, n: number, extra: Partial<RoomEntry> = {}): RoomEntry => ({
  name,
  title: name,
  visibility: 'public',
  ownerId: null,
  createdAt: at(0),
  memberCount: 2,
  role: 'member',
  unread: 0,
  lastMessage: msg(n, name),
  ...extra,
});

function setup(server: RoomEntry[]) {
  const chat = new ScriptedEvents();
  let lists = 0;
  const directory = new RoomDirectory({
    list: async () => {
      lists++;
      return server.map((e) => ({ ...e }));
    },
    chat,
    userId: () => 'me',
  });
  const gone: string[] = [];
  directory.on('gone', ({ room, reason }) => gone.push(`${room} ${reason}`));
  return { chat, directory, gone, lists: () => lists };
}

const view = (d: RoomDirectory) => d.rooms.map((e) => `${e.name}:${e.unread}`);

describe('RoomDirectory', () => {
  it('counts messages from others as unread, moves the room to the top, and not your own', async () => {
    const { chat, directory } = setup([entry('a', 2), entry('b', 1)]);
    await directory.reload();
    expect(view(directory)).toEqual(['a:0', 'b:0']);
    chat.push('message:new', msg(3, 'b'));
    chat.push('message:new', msg(4, 'b', 'me'));
    expect(view(directory)).toEqual(['b:1', 'a:0']);
    expect(directory.get('b')?.lastMessage?.body).toBe('m4');
  });

  it('takes the count of a read on another device, and of its own markRead', async () => {
    const { chat, directory } = setup([entry('a', 1, { unread: 5 })]);
    await directory.reload();
    chat.push('room:read', { room: 'a', messageId: msg(1, 'a').id, unread: 2 });
    expect(view(directory)).toEqual(['a:2']);
    expect(await directory.markRead('a', msg(1, 'a').id)).toBe(0);
    expect(chat.reads).toEqual([{ room: 'a', messageId: msg(1, 'a').id }]);
    expect(view(directory)).toEqual(['a:0']);
  });

  it('keeps the last message current through edits and deletions, and asks the server when an unread one is deleted', async () => {
    const { chat, directory, lists } = setup([entry('a', 1), entry('b', 0, { unread: 1 })]);
    await directory.reload();
    chat.push('message:updated', { ...msg(1, 'a'), body: 'edited', editedAt: at(9) });
    expect(directory.get('a')?.lastMessage?.body).toBe('edited');
    chat.push('message:deleted', { room: 'a', id: msg(1, 'a').id });
    expect(directory.get('a')?.lastMessage).toMatchObject({ body: '', reactions: [], deletedAt: expect.any(String) });
    expect(lists()).toBe(1); // nothing unread in a: no need to ask
    chat.push('message:deleted', { room: 'b', id: msg(0, 'b').id });
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(lists()).toBe(2);
  });

  it('drops a room on room:removed and room:deleted, and reloads for a message of a room it does not list', async () => {
    const { chat, directory, gone, lists } = setup([entry('a', 1), entry('b', 1)]);
    await directory.reload();
    chat.push('room:removed', { room: 'a', reason: 'banned' });
    chat.push('room:deleted', { room: 'b' });
    expect(view(directory)).toEqual([]);
    expect(gone).toEqual(['a banned', 'b deleted']);
    chat.push('dm:new', msg(5, 'dm:me:other'));
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(lists()).toBe(2);
  });

  it('caps unread at 1000 like the server, and shares one request between concurrent reloads', async () => {
    const { chat, directory, lists } = setup([entry('a', 1, { unread: 1000 })]);
    await Promise.all([directory.reload(), directory.reload()]);
    expect(lists()).toBe(2); // one in flight, one more after it (asked meanwhile)
    chat.push('message:new', msg(2, 'a'));
    expect(view(directory)).toEqual(['a:1000']);
  });
});
