import request from 'supertest';
import { Socket } from 'socket.io-client';
import { Ack, AuthResult, closeAllSockets, connect, emitAck, login, nextEvent, receives, register } from './support/clients';
import { DATABASES, startApp, testEnv, TestApp } from './support/app';
import type { Message, MessagePage } from '../src/protocol';

type Page = MessagePage;

const data = <T>(ack: Ack<T>): T => {
  if (!ack.ok) throw new Error(`expected ok, got ${ack.error.code}: ${ack.error.message}`);
  return ack.data;
};

let roomCounter = 0;
const freshRoom = () => `room-${process.pid}-${roomCounter++}`;

describe.each(DATABASES)('/chat on $name', ({ url: databaseUrl }) => {
  let t: TestApp;
  let alice: AuthResult;
  let bob: AuthResult;
  let a: Socket;
  let b: Socket;

  beforeAll(async () => {
    t = await startApp(testEnv(await databaseUrl(), { WS_RATE_LIMIT: '1000/1s' }));
    alice = await register(t.url, { displayName: 'Alice' });
    bob = await register(t.url, { displayName: 'Bob' });
    a = await connect(t.url, '/chat', { token: alice.accessToken });
    b = await connect(t.url, '/chat', { token: bob.accessToken });
  });
  afterAll(async () => {
    closeAllSockets();
    await t.close();
  });

  const history = (who: AuthResult, room: string, query = '') =>
    request(t.url)
      .get(`/rooms/${encodeURIComponent(room)}/messages${query}`)
      .set('Authorization', `Bearer ${who.accessToken}`);

  it('delivers a message to everyone in the room, the sender’s other sockets included, after storing it', async () => {
    const room = freshRoom();
    const a2 = await connect(t.url, '/chat', { token: (await login(t.url, alice.user.email)).accessToken });
    for (const s of [a, a2, b]) data(await emitAck(s, 'room:join', { room }));
    const seen = [a, a2, b].map((s) => nextEvent<Message>(s, 'message:new'));
    const sent = data(await emitAck<Message>(a, 'message:send', { room, body: 'hi all', clientMsgId: 'x-1' }));
    expect(sent).toEqual({
      id: expect.any(String),
      room,
      body: 'hi all',
      sender: { id: alice.user.id, displayName: 'Alice' },
      createdAt: expect.any(String),
      clientMsgId: 'x-1',
      editedAt: null,
      deletedAt: null,
      reactions: [],
    });
    for (const message of await Promise.all(seen)) expect(message).toEqual(sent);
    const stored = await history(bob, room).expect(200);
    expect(stored.body.messages).toEqual([sent]);
  });

  it('requires joining before sending, and validates the body', async () => {
    const room = freshRoom();
    expect(await emitAck(a, 'message:send', { room, body: 'x' })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    data(await emitAck(a, 'room:join', { room }));
    for (const body of ['', 'x'.repeat(4001), 42]) {
      expect(await emitAck(a, 'message:send', { room, body })).toMatchObject({ ok: false, error: { code: 'VALIDATION_FAILED' } });
    }
    expect(await emitAck(a, 'message:send', { room, body: 'x'.repeat(4000) })).toMatchObject({ ok: true });
  });

  it('stores a repeated clientMsgId once and broadcasts it once', async () => {
    const room = freshRoom();
    data(await emitAck(a, 'room:join', { room }));
    data(await emitAck(b, 'room:join', { room }));
    let broadcasts = 0;
    const count = () => broadcasts++;
    b.on('message:new', count);
    const first = data(await emitAck<Message>(a, 'message:send', { room, body: 'once', clientMsgId: 'dup-1' }));
    const again = data(await emitAck<Message>(a, 'message:send', { room, body: 'once (retry)', clientMsgId: 'dup-1' }));
    const [x, y] = await Promise.all([
      emitAck<Message>(a, 'message:send', { room, body: 'race', clientMsgId: 'dup-2' }),
      emitAck<Message>(a, 'message:send', { room, body: 'race', clientMsgId: 'dup-2' }),
    ]);
    expect(again).toEqual(first);
    expect(data(x).id).toBe(data(y).id);
    await new Promise((r) => setTimeout(r, 200));
    b.off('message:new', count);
    expect(broadcasts).toBe(2);
    expect((await history(alice, room).expect(200)).body.messages).toHaveLength(2);
  });

  it('stores the new messages of a batch that also holds a retry of an old one', async () => {
    const room = freshRoom();
    data(await emitAck(a, 'room:join', { room }));
    const old = data(await emitAck<Message>(a, 'message:send', { room, body: 'old', clientMsgId: 'mixed-0' }));
    // sent in one burst, so they are committed together
    const acks = await Promise.all([
      emitAck<Message>(a, 'message:send', { room, body: 'new 1', clientMsgId: 'mixed-1' }),
      emitAck<Message>(a, 'message:send', { room, body: 'old (retry)', clientMsgId: 'mixed-0' }),
      emitAck<Message>(a, 'message:send', { room, body: 'new 2' }),
      emitAck<Message>(a, 'message:send', { room, body: 'new 3', clientMsgId: 'mixed-3' }),
    ]);
    const [first, retry, second, third] = acks.map(data);
    expect(retry).toEqual(old);
    expect([first.body, second.body, third.body]).toEqual(['new 1', 'new 2', 'new 3']);
    const stored = (await history(alice, room).expect(200)).body.messages as Message[];
    expect(stored.map((m) => m.body)).toEqual(['old', 'new 1', 'new 2', 'new 3']);
  });

  it('pages history the same way over WS and REST, and catches up with since', async () => {
    const room = freshRoom();
    data(await emitAck(a, 'room:join', { room }));
    const ids: string[] = [];
    for (let i = 0; i < 205; i++) ids.push(data(await emitAck<Message>(a, 'message:send', { room, body: `m${i}` })).id);
    expect([...ids].sort()).toEqual(ids);

    const join = data(await emitAck<{ history: Message[]; hasMore: boolean; online: unknown[] }>(b, 'room:join', { room }));
    expect(join.history.map((m) => m.id)).toEqual(ids.slice(-50));
    expect(join.hasMore).toBe(true);

    const wsPage = data(await emitAck<Page>(b, 'message:history', { room, before: ids[100], limit: 30 }));
    const restPage = (await history(bob, room, `?before=${ids[100]}&limit=30`).expect(200)).body as Page;
    expect(wsPage).toEqual(restPage);
    expect(wsPage.messages.map((m) => m.id)).toEqual(ids.slice(70, 100));
    expect(wsPage.hasMore).toBe(true);
    const oldest = (await history(bob, room, `?before=${ids[10]}&limit=100`).expect(200)).body as Page;
    expect(oldest.messages.map((m) => m.id)).toEqual(ids.slice(0, 10));
    expect(oldest.hasMore).toBe(false);
    expect((await history(bob, room).expect(200)).body.messages).toHaveLength(50);

    for (const limit of ['0', '101', 'abc']) await history(bob, room, `?limit=${limit}`).expect(400);
    expect(await emitAck(b, 'message:history', { room, limit: 101 })).toMatchObject({ ok: false, error: { code: 'VALIDATION_FAILED' } });
    await history(bob, room, `?before=${'0'.repeat(26)}`).expect(400);

    const catchUp = data(await emitAck<{ history: Message[]; hasMore: boolean }>(b, 'room:join', { room, since: ids[2] }));
    expect(catchUp.history.map((m) => m.id)).toEqual(ids.slice(3, 203));
    expect(catchUp.hasMore).toBe(true);
    const rest = data(await emitAck<{ history: Message[]; hasMore: boolean }>(b, 'room:join', { room, since: ids[202] }));
    expect(rest.history.map((m) => m.id)).toEqual(ids.slice(203));
    expect(rest.hasMore).toBe(false);
    expect(await emitAck(b, 'room:join', { room, since: '0'.repeat(26) })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
  });

  it('enforces room names', async () => {
    for (const room of ['General', 'x'.repeat(65), 'with space', '']) {
      expect(await emitAck(a, 'room:join', { room })).toMatchObject({ ok: false, error: { code: 'VALIDATION_FAILED' } });
    }
    const dm = `dm:${[alice.user.id, bob.user.id].sort().join(':')}`;
    expect(await emitAck(a, 'room:join', { room: dm })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    await history(alice, 'Bad Name').expect(400);
  });

  it('delivers DMs to every socket of both users and no one else', async () => {
    const carol = await register(t.url, { displayName: 'Carol' });
    const c = await connect(t.url, '/chat', { token: carol.accessToken });
    const b2 = await connect(t.url, '/chat', { token: (await login(t.url, bob.user.email)).accessToken });
    const arrivals = [a, b, b2].map((s) => nextEvent<Message>(s, 'dm:new'));
    const carolGets = receives(c, 'dm:new', 500);
    const sent = data(await emitAck<Message>(a, 'dm:send', { to: bob.user.id, body: 'psst' }));
    const room = `dm:${[alice.user.id, bob.user.id].sort().join(':')}`;
    expect(sent).toMatchObject({ room, body: 'psst', sender: { id: alice.user.id } });
    for (const m of await Promise.all(arrivals)) expect(m).toEqual(sent);
    expect(await carolGets).toBe(false);

    expect(await emitAck(a, 'dm:send', { to: '01ARZ3NDEKTSV4RRFFQ69G5FAV', body: 'anyone?' })).toMatchObject({
      ok: false,
      error: { code: 'NOT_FOUND' },
    });
    expect((await history(bob, room).expect(200)).body.messages.map((m: Message) => m.id)).toContain(sent.id);
    await history(carol, room).expect(403);
    expect(await emitAck(c, 'message:history', { room })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    expect(await emitAck(c, 'message:send', { room, body: 'intrude' })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
  });

  it('tracks presence per user, across their sockets', async () => {
    const room = freshRoom();
    const carol = await register(t.url, { displayName: 'Carol' });
    const c1 = await connect(t.url, '/chat', { token: carol.accessToken });
    const c2 = await connect(t.url, '/chat', { token: (await login(t.url, carol.user.email)).accessToken });
    data(await emitAck(a, 'room:join', { room }));
    const joined = nextEvent(a, 'presence:join');
    const join = data(await emitAck<{ online: Array<{ id: string }> }>(c1, 'room:join', { room }));
    expect(join.online.map((u) => u.id).sort()).toEqual([alice.user.id, carol.user.id].sort());
    await expect(joined).resolves.toEqual({ room, user: { id: carol.user.id, displayName: 'Carol' } });
    const secondJoin = receives(a, 'presence:join', 300);
    data(await emitAck(c2, 'room:join', { room }));
    expect(await secondJoin).toBe(false);
    expect(data(await emitAck<{ online: unknown[] }>(b, 'presence:list', { room })).online).toHaveLength(2);

    const earlyLeave = receives(a, 'presence:leave', 300);
    data(await emitAck(c1, 'room:leave', { room }));
    expect(await earlyLeave).toBe(false);
    const left = nextEvent(a, 'presence:leave');
    c2.close();
    await expect(left).resolves.toEqual({ room, user: { id: carol.user.id, displayName: 'Carol' } });
    expect(data(await emitAck<{ online: Array<{ id: string }> }>(b, 'presence:list', { room })).online.map((u) => u.id)).toEqual([alice.user.id]);
  });

  it('relays typing to the others in the room only', async () => {
    const room = freshRoom();
    const a2 = await connect(t.url, '/chat', { token: (await login(t.url, alice.user.email)).accessToken });
    for (const s of [a, a2, b]) data(await emitAck(s, 'room:join', { room }));
    const bobSees = nextEvent(b, 'typing');
    const ownSocketSees = receives(a2, 'typing', 300);
    expect(await emitAck(a, 'typing', { room, typing: true })).toEqual({ ok: true, data: {} });
    await expect(bobSees).resolves.toEqual({ room, user: { id: alice.user.id, displayName: 'Alice' }, typing: true });
    expect(await ownSocketSees).toBe(false);
    expect(await emitAck(a, 'typing', { room: freshRoom(), typing: true })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
  });

  it('lets everyone read announcements and only admins post', async () => {
    data(await emitAck(b, 'room:join', { room: 'announcements' }));
    expect(await emitAck(b, 'message:send', { room: 'announcements', body: 'me too' })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    const admin = await register(t.url, { displayName: 'Admin' });
    await t.makeAdmin(admin.user.email);
    const adminSocket = await connect(t.url, '/chat', { token: (await login(t.url, admin.user.email)).accessToken });
    data(await emitAck(adminSocket, 'room:join', { room: 'announcements' }));
    const arrival = nextEvent<Message>(b, 'message:new');
    data(await emitAck(adminSocket, 'message:send', { room: 'announcements', body: 'maintenance at 22:00' }));
    await expect(arrival).resolves.toMatchObject({ body: 'maintenance at 22:00' });
    expect((await history(bob, 'announcements').expect(200)).body.messages.at(-1).body).toBe('maintenance at 22:00');
  });
});
