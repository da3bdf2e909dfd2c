import type { Chat, Message, User } from '../../../src/protocol';
import { Auth } from './auth';
import { ChatClient } from './chat';
import { Connection, ConnectionState } from './connection';
import { ParleyAckError } from './errors';
import { processLock } from './lock';
import { memoryOutbox } from './outbox';
import { memorySessionStore } from './session-store';

/** The re-join logic against a scripted `/chat`: what a resume asks, and what reaches the app. */
class ScriptedChat {
  state: ConnectionState = { status: 'connected' };
  socket = { connected: true };
  calls: Array<{ event: string; payload: Record<string, unknown> }> = [];
  answer: (event: string, payload: Record<string, unknown>) => unknown = () => {
    throw new Error('no answer scripted');
  };
  private handlers = new Map<string, (payload: unknown) => void>();

  on() {
    return () => undefined;
  }
  onEvent(event: string, handler: (payload: unknown) => void) {
    this.handlers.set(event, handler);
    return () => undefined;
  }
  async request(event: string, payload: Record<string, unknown>) {
    return this.emitNow(event, payload);
  }
  async emitNow(event: string, payload: Record<string, unknown>) {
    this.calls.push({ event, payload });
    return this.answer(event, payload);
  }
  push(event: string, payload: unknown) {
    this.handlers.get(event)?.(payload);
  }
}

const me: User = {
  id: 'me',
  email: null,
  displayName: 'Me',
  role: 'user',
  emailVerified: true,
  twoFactorEnabled: false,
  createdAt: '2026-01-01T00:00:00.000Z',
};
const msg = (n: number, body = `m${n}`): Message => ({
  id: `01J00000000000000000000${String(n).padStart(3, '0')}`,
  room: 'general',
  body,
  sender: { id: 'other', displayName: 'Other' },
  createdAt: '2026-01-01T00:00:00.000Z',
  editedAt: null,
  deletedAt: null,
  reactions: [],
});
const joined = (history: Message[], extra: Record<string, unknown> = {}) => ({ room: 'general', online: [], history, hasMore: false, ...extra });

function setup() {
  const conn = new ScriptedChat();
  const auth = new Auth({
    baseUrl: '',
    fetch: async () => Promise.reject(new Error('offline')),
    store: memorySessionStore({ refreshToken: 'r', user: me }),
    lock: processLock,
  });
  const chat = new ChatClient({ connection: conn as unknown as Connection<Chat>, auth, outbox: memoryOutbox(), lock: processLock });
  const events: string[] = [];
  chat.on('message:new', (m) => events.push(`new ${m.body}`));
  chat.on('message:updated', (m) => events.push(`updated ${m.body}`));
  chat.on('stale', ({ room }) => events.push(`stale ${room}`));
  chat.on('resumed', ({ room }) => events.push(`resumed ${room}`));
  return { conn, chat, events, auth };
}

describe('ChatClient resume', () => {
  it('pages with since until hasMore is false, then applies updated; each message once', async () => {
    const { conn, chat, events, auth } = setup();
    conn.answer = () => joined([msg(1), msg(2)]);
    await chat.join('general');
    conn.push('message:new', msg(2)); // already in the join's history
    conn.push('message:new', msg(3));
    expect(events).toEqual(['new m3']);

    events.length = 0;
    conn.calls = [];
    conn.answer = (_event, payload) => {
      if (payload.since === msg(3).id) return joined([msg(4), msg(5)], { hasMore: true, updated: [msg(1, 'm1 edited')] });
      if (payload.since === msg(5).id) return joined([msg(5), msg(6)], { hasMore: false, updated: [], hasMoreUpdated: true });
      throw new Error(`unexpected ${JSON.stringify(payload)}`);
    };
    await chat.resume();
    expect(conn.calls.map((c) => c.payload)).toEqual([
      { room: 'general', since: msg(3).id },
      { room: 'general', since: msg(5).id },
    ]);
    expect(events).toEqual(['new m4', 'new m5', 'updated m1 edited', 'resumed general', 'new m6', 'stale general']);
    auth.dispose();
  });

  it('starts over from the latest page when since is gone (NOT_FOUND), and drops a room it may no longer join', async () => {
    const { conn, chat, events, auth } = setup();
    conn.answer = () => joined([msg(1)]);
    await chat.join('general');
    conn.answer = (_event, payload) => {
      if (payload.since) throw new ParleyAckError('NOT_FOUND', 'Unknown message', 'room:join');
      return joined([msg(1), msg(7)]);
    };
    await chat.resume();
    expect(events).toEqual(['new m7', 'resumed general']);

    const failed: string[] = [];
    chat.on('rejoinFailed', ({ room, error }) => failed.push(`${room} ${error.code}`));
    conn.answer = () => {
      throw new ParleyAckError('FORBIDDEN', 'Banned', 'room:join');
    };
    await chat.resume();
    expect(failed).toEqual(['general FORBIDDEN']);
    expect(chat.joinedRooms).toEqual([]);
    auth.dispose();
  });

  it('fails the resume (to start over on a new connection) on an error a retry may fix', async () => {
    const { conn, chat, auth } = setup();
    conn.answer = () => joined([]);
    await chat.join('general');
    conn.answer = () => {
      throw new ParleyAckError('TIMEOUT', 'No answer', 'room:join');
    };
    await expect(chat.resume()).rejects.toMatchObject({ code: 'TIMEOUT' });
    expect(chat.joinedRooms).toEqual(['general']);
    auth.dispose();
  });
});

describe('ChatClient message lifecycle', () => {
  it('sends edits, deletions, reactions and read markers as the contract names them, and hands over the answers', async () => {
    const { conn, chat, auth } = setup();
    conn.answer = (event, payload) => {
      if (event === 'message:delete') return { id: payload.id };
      if (event === 'room:read') return { ...payload, unread: 0 };
      return { ...msg(1), ...(payload.body ? { body: payload.body } : {}) };
    };
    const id = msg(1).id;
    expect((await chat.edit(id, 'fixed')).body).toBe('fixed');
    await chat.deleteMessage(id);
    await chat.react(id, '👍');
    await chat.unreact(id, '👍');
    expect(await chat.markRead('general', id)).toEqual({ room: 'general', messageId: id, unread: 0 });
    expect(conn.calls).toEqual([
      { event: 'message:edit', payload: { id, body: 'fixed' } },
      { event: 'message:delete', payload: { id } },
      { event: 'reaction:add', payload: { id, emoji: '👍' } },
      { event: 'reaction:remove', payload: { id, emoji: '👍' } },
      { event: 'room:read', payload: { room: 'general', messageId: id } },
    ]);
    auth.dispose();
  });

  it('forgets a room on room:removed / room:deleted (no re-join after a reconnect) and passes the events on', async () => {
    const { conn, chat, auth } = setup();
    const seen: string[] = [];
    chat.on('room:removed', ({ room, reason }) => seen.push(`removed ${room} ${reason}`));
    chat.on('room:deleted', ({ room }) => seen.push(`deleted ${room}`));
    conn.answer = (_event, payload) => ({ ...joined([]), room: payload.room });
    await chat.join('general');
    await chat.join('other');
    conn.push('room:removed', { room: 'general', reason: 'removed' });
    conn.push('room:deleted', { room: 'other' });
    expect(seen).toEqual(['removed general removed', 'deleted other']);
    expect(chat.joinedRooms).toEqual([]);
    auth.dispose();
  });
});
