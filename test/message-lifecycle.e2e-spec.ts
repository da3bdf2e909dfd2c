import { Socket } from 'socket.io-client';
import type { Message, RoomEntry } from '../src/protocol';
import { DATABASES, startApp, testEnv, TestApp } from './support/app';
import { AuthResult, closeAllSockets, emitAck, login, nextEvent, receives, register } from './support/clients';
import { api, chatSocket, data, post, uniqueRoom } from './support/rooms';

const code = (ack: { ok: boolean; error?: { code: string } }) => (ack.ok ? 'OK' : ack.error?.code);

describe.each(DATABASES)('message lifecycle and read state ($name)', ({ url: databaseUrl }) => {
  let t: TestApp;
  let env: Record<string, string | undefined>;
  let ada: AuthResult;
  let bo: AuthResult;
  let a: Socket;
  let b: Socket;

  beforeAll(async () => {
    env = testEnv(await databaseUrl(), { WS_RATE_LIMIT: '100000/1s' });
    t = await startApp(env);
    ada = await register(t.url, { displayName: 'Ada' });
    bo = await register(t.url, { displayName: 'Bo' });
    a = await chatSocket(t.url, ada);
    b = await chatSocket(t.url, bo);
  });
  afterAll(async () => {
    closeAllSockets();
    await t?.close();
  });

  it('edits: the sender only, the body rule of message:send, message:updated to the room, not once deleted', async () => {
    const room = uniqueRoom('edit');
    data(await emitAck(b, 'room:join', { room }));
    const sent = await post(a, room, 'frist');
    const updated = nextEvent<Message>(b, 'message:updated');
    const edited = data(await emitAck<Message>(a, 'message:edit', { id: sent.id, body: 'first' }));
    expect(edited).toEqual({ ...sent, body: 'first', editedAt: expect.any(String) });
    await expect(updated).resolves.toEqual(edited);
    expect(code(await emitAck(b, 'message:edit', { id: sent.id, body: 'mine now' }))).toBe('FORBIDDEN');
    for (const body of ['', '   ', 'x'.repeat(4001)]) expect(code(await emitAck(a, 'message:edit', { id: sent.id, body }))).toBe('VALIDATION_FAILED');
    expect(code(await emitAck(a, 'message:edit', { id: 'not-an-id', body: 'x' }))).toBe('VALIDATION_FAILED');
    expect(code(await emitAck(a, 'message:edit', { id: '01ARZ3NDEKTSV4RRFFQ69G5FAV', body: 'x' }))).toBe('NOT_FOUND');
    data(await emitAck(a, 'message:delete', { id: sent.id }));
    expect(code(await emitAck(a, 'message:edit', { id: sent.id, body: 'undo' }))).toBe('FORBIDDEN');
    const page = (await api(t.url, bo).get(`/rooms/${room}/messages`).expect(200)).body.messages as Message[];
    expect(page).toEqual([{ ...edited, body: '', deletedAt: expect.any(String), reactions: [] }]);
  });

  it('deletes as a tombstone: message:deleted to the room; deleting again changes nothing', async () => {
    const room = uniqueRoom('delete');
    data(await emitAck(b, 'room:join', { room }));
    const sent = await post(a, room, 'oops');
    data(await emitAck(b, 'reaction:add', { id: sent.id, emoji: '😬' }));
    const deleted = nextEvent(b, 'message:deleted');
    expect(data(await emitAck(a, 'message:delete', { id: sent.id }))).toEqual({ id: sent.id });
    await expect(deleted).resolves.toEqual({ room, id: sent.id });
    const again = receives(b, 'message:deleted');
    expect(data(await emitAck(a, 'message:delete', { id: sent.id }))).toEqual({ id: sent.id });
    expect(await again).toBe(false);
    const [tombstone] = (await api(t.url, ada).get(`/rooms/${room}/messages`).expect(200)).body.messages as Message[];
    expect(tombstone).toEqual({
      id: sent.id,
      room,
      sender: sent.sender,
      createdAt: sent.createdAt,
      body: '',
      editedAt: null,
      deletedAt: expect.any(String),
      reactions: [],
    });
    expect(code(await emitAck(b, 'reaction:add', { id: sent.id, emoji: '👍' }))).toBe('FORBIDDEN');
  });

  it('reacts: idempotent per user, in order of first use, gone with its last user, at most 20 distinct', async () => {
    const room = uniqueRoom('react');
    data(await emitAck(b, 'room:join', { room }));
    const sent = await post(a, room, 'react to me');
    const seen = nextEvent<Message>(a, 'message:updated');
    expect(data(await emitAck<Message>(b, 'reaction:add', { id: sent.id, emoji: '👍' })).reactions).toEqual([{ emoji: '👍', userIds: [bo.user.id] }]);
    await expect(seen).resolves.toMatchObject({ id: sent.id, reactions: [{ emoji: '👍', userIds: [bo.user.id] }] });
    data(await emitAck(a, 'reaction:add', { id: sent.id, emoji: '🎉' }));
    data(await emitAck(a, 'reaction:add', { id: sent.id, emoji: '👍' }));
    const twice = data(await emitAck<Message>(a, 'reaction:add', { id: sent.id, emoji: '👍' }));
    expect(twice.reactions).toEqual([
      { emoji: '👍', userIds: [bo.user.id, ada.user.id] },
      { emoji: '🎉', userIds: [ada.user.id] },
    ]);
    expect(data(await emitAck<Message>(a, 'reaction:remove', { id: sent.id, emoji: '🎉' })).reactions).toEqual([
      { emoji: '👍', userIds: [bo.user.id, ada.user.id] },
    ]);
    expect(data(await emitAck<Message>(a, 'reaction:remove', { id: sent.id, emoji: '🎉' })).reactions).toHaveLength(1);
    expect(data(await emitAck<Message>(b, 'reaction:remove', { id: sent.id, emoji: '👍' })).reactions).toEqual([
      { emoji: '👍', userIds: [ada.user.id] },
    ]);
    // 1–16 code points without whitespace
    const family = '👨‍👩‍👧‍👦'; // 7 code points, 11 UTF-16 units
    data(await emitAck(a, 'reaction:add', { id: sent.id, emoji: family }));
    data(await emitAck(a, 'reaction:add', { id: sent.id, emoji: '😀'.repeat(16) }));
    for (const emoji of ['', 'a b', ' ', '😀'.repeat(17), 'tab\t'])
      expect(code(await emitAck(a, 'reaction:add', { id: sent.id, emoji }))).toBe('VALIDATION_FAILED');
    for (let i = 0; i < 17; i++) data(await emitAck(a, 'reaction:add', { id: sent.id, emoji: `e${i}` }));
    expect(code(await emitAck(a, 'reaction:add', { id: sent.id, emoji: 'one-too-many' }))).toBe('LIMIT_EXCEEDED');
    // joining an existing reaction is no new distinct one
    expect(code(await emitAck(b, 'reaction:add', { id: sent.id, emoji: 'e0' }))).toBe('OK');
    const [stored] = (await api(t.url, ada).get(`/rooms/${room}/messages`).expect(200)).body.messages as Message[];
    expect(stored.reactions.map((r) => r.emoji)).toEqual(['👍', family, '😀'.repeat(16), ...Array.from({ length: 17 }, (_, i) => `e${i}`)]);
    // concurrent reactions from many users all land
    const crowd = await Promise.all(Array.from({ length: 8 }, () => register(t.url)));
    const crowdSockets = await Promise.all(crowd.map((u) => chatSocket(t.url, u)));
    for (const s of crowdSockets) data(await emitAck(s, 'room:join', { room }));
    await Promise.all(crowdSockets.map((s) => emitAck(s, 'reaction:add', { id: sent.id, emoji: '👍' }).then(data)));
    const [crowded] = (await api(t.url, ada).get(`/rooms/${room}/messages`).expect(200)).body.messages as Message[];
    expect(crowded.reactions[0].userIds).toEqual(expect.arrayContaining([ada.user.id, ...crowd.map((u) => u.user.id)]));
    expect(crowded.reactions[0].userIds).toHaveLength(9);
  });

  it('reaches both users of a DM with every lifecycle broadcast, wherever their sockets are', async () => {
    const dm = data(await emitAck<Message>(a, 'dm:send', { to: bo.user.id, body: 'just us' }));
    const bSecond = await chatSocket(t.url, await login(t.url, bo.user.email));
    const events = [a, b, bSecond].map((s) => nextEvent<Message>(s, 'message:updated'));
    data(await emitAck(a, 'message:edit', { id: dm.id, body: 'just the two of us' }));
    for (const event of await Promise.all(events)) expect(event).toMatchObject({ id: dm.id, body: 'just the two of us' });
    const reacted = [a, b].map((s) => nextEvent<Message>(s, 'message:updated'));
    data(await emitAck(b, 'reaction:add', { id: dm.id, emoji: '❤️' }));
    for (const event of await Promise.all(reacted)) expect(event.reactions).toEqual([{ emoji: '❤️', userIds: [bo.user.id] }]);
    const deleted = [a, b, bSecond].map((s) => nextEvent(s, 'message:deleted'));
    data(await emitAck(a, 'message:delete', { id: dm.id }));
    expect(await Promise.all(deleted)).toEqual(Array(3).fill({ room: dm.room, id: dm.id }));
  });

  it('moves read markers forward only and syncs them to the caller’s other sockets', async () => {
    const room = uniqueRoom('read');
    const early = await post(a, room, 'before bo joined');
    data(await emitAck(b, 'room:join', { room }));
    const members = (await api(t.url, bo).get(`/rooms/${room}/members`).expect(200)).body.members as Array<{
      user: { id: string };
      lastReadMessageId: string | null;
    }>;
    // a new member's marker starts at the latest message: nothing unread
    expect(members.find((m) => m.user.id === bo.user.id)?.lastReadMessageId).toBe(early.id);
    const m1 = await post(a, room, 'one');
    const m2 = await post(a, room, 'two');
    await post(a, room, 'three');
    const other = await chatSocket(t.url, await login(t.url, bo.user.email)); // not in the room
    const synced = nextEvent(other, 'room:read');
    const selfHears = receives(b, 'room:read');
    expect(data(await emitAck(b, 'room:read', { room, messageId: m2.id }))).toEqual({ room, messageId: m2.id, unread: 1 });
    await expect(synced).resolves.toEqual({ room, messageId: m2.id, unread: 1 });
    expect(await selfHears).toBe(false);
    // an older id leaves the marker where it is, and the answer says where that is
    expect(data(await emitAck(b, 'room:read', { room, messageId: m1.id }))).toEqual({ room, messageId: m2.id, unread: 1 });
    expect(code(await emitAck(b, 'room:read', { room, messageId: '01ARZ3NDEKTSV4RRFFQ69G5FAV' }))).toBe('NOT_FOUND');
    const elsewhere = await post(a, uniqueRoom('read'), 'another room');
    expect(code(await emitAck(b, 'room:read', { room, messageId: elsewhere.id }))).toBe('NOT_FOUND');
    // edits and reactions do not change the count; a deletion removes one
    data(await emitAck(a, 'message:edit', { id: m1.id, body: 'one, edited' }));
    const last = ((await api(t.url, bo).get('/rooms').expect(200)).body.rooms as RoomEntry[]).find((r) => r.name === room);
    expect(last?.unread).toBe(1);

    // a DM's marker starts before its first message
    const dm = data(await emitAck<Message>(a, 'dm:send', { to: bo.user.id, body: 'unread dm' }));
    const entry = ((await api(t.url, bo).get('/rooms').expect(200)).body.rooms as RoomEntry[]).find((r) => r.name === dm.room);
    expect(entry?.unread).toBeGreaterThanOrEqual(1);
    expect(data(await emitAck(b, 'room:read', { room: dm.room, messageId: dm.id }))).toMatchObject({ room: dm.room, messageId: dm.id, unread: 0 });
  });

  it('resumes with the changes: room:join { since } returns updated, by latest change', async () => {
    const room = uniqueRoom('resume');
    const [m1, m2, m3] = [await post(a, room, 'one'), await post(a, room, 'two'), await post(a, room, 'three')];
    const since = await post(a, room, 'the last one bo saw');
    data(await emitAck(b, 'room:join', { room }));
    data(await emitAck(b, 'room:leave', { room }));
    await new Promise((resolve) => setTimeout(resolve, 5));
    data(await emitAck(a, 'reaction:add', { id: m3.id, emoji: '🔥' }));
    data(await emitAck(a, 'message:edit', { id: m1.id, body: 'one, edited' }));
    data(await emitAck(a, 'message:delete', { id: since.id }));
    const after = await post(a, room, 'new since');
    data(await emitAck(a, 'reaction:add', { id: after.id, emoji: '🔥' }));
    const resumed = data(
      await emitAck<{ history: Message[]; hasMore: boolean; updated: Message[]; hasMoreUpdated: boolean }>(b, 'room:join', { room, since: since.id }),
    );
    expect(resumed.history.map((m) => m.id)).toEqual([after.id]);
    expect(resumed.updated.map((m) => m.id)).toEqual([m3.id, m1.id, since.id]);
    expect(resumed.updated.map((m) => m.id)).not.toContain(m2.id);
    expect(resumed.updated[1]).toMatchObject({ body: 'one, edited', editedAt: expect.any(String) });
    expect(resumed.updated[2]).toMatchObject({ body: '', deletedAt: expect.any(String) });
    expect(resumed.hasMoreUpdated).toBe(false);
    expect(code(await emitAck(b, 'room:join', { room, since: '01ARZ3NDEKTSV4RRFFQ69G5FAV' }))).toBe('NOT_FOUND');
  });

  it('says hasMoreUpdated when more than 200 changed', async () => {
    const room = uniqueRoom('many');
    data(await emitAck(a, 'room:join', { room }));
    const sent = await Promise.all(Array.from({ length: 202 }, (_, i) => emitAck<Message>(a, 'message:send', { room, body: `m${i}` }).then(data)));
    const since = await post(a, room, 'mark');
    await new Promise((resolve) => setTimeout(resolve, 5));
    await Promise.all(sent.map((m) => emitAck(a, 'reaction:add', { id: m.id, emoji: '✅' }).then(data)));
    const resumed = data(await emitAck<{ updated: Message[]; hasMoreUpdated: boolean }>(b, 'room:join', { room, since: since.id }));
    expect(resumed.updated).toHaveLength(200);
    expect(resumed.hasMoreUpdated).toBe(true);
  });

  it('keeps markers, edits and reactions across a restart', async () => {
    const room = uniqueRoom('restart');
    data(await emitAck(b, 'room:join', { room }));
    const m1 = await post(a, room, 'kept');
    await post(a, room, 'unread after restart');
    data(await emitAck(b, 'reaction:add', { id: m1.id, emoji: '💾' }));
    data(await emitAck(a, 'message:edit', { id: m1.id, body: 'kept, edited' }));
    data(await emitAck(b, 'room:read', { room, messageId: m1.id }));
    closeAllSockets();
    await t.close();
    t = await startApp(env);
    a = await chatSocket(t.url, ada);
    b = await chatSocket(t.url, bo);
    const [stored] = (await api(t.url, bo).get(`/rooms/${room}/messages`).expect(200)).body.messages as Message[];
    expect(stored).toMatchObject({
      id: m1.id,
      body: 'kept, edited',
      editedAt: expect.any(String),
      reactions: [{ emoji: '💾', userIds: [bo.user.id] }],
    });
    const members = (await api(t.url, bo).get(`/rooms/${room}/members`).expect(200)).body.members as Array<{
      user: { id: string };
      lastReadMessageId: string;
    }>;
    expect(members.find((m) => m.user.id === bo.user.id)?.lastReadMessageId).toBe(m1.id);
    expect(((await api(t.url, bo).get('/rooms').expect(200)).body.rooms as RoomEntry[]).find((r) => r.name === room)?.unread).toBe(1);
  });
});
