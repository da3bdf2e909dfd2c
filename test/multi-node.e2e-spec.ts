import request from 'supertest';
import type { Message } from '../src/protocol';
import { AuthResult, closeAllSockets, connect, emitAck, login, nextEvent, receives, refusal, register, sleep } from './support/clients';
import { api, data, post, uniqueRoom } from './support/rooms';
import { DATABASES, startApp, testEnv, TestApp } from './support/app';

const REDIS = process.env.TEST_REDIS_URL;
const mysql = DATABASES.find((d) => d.name === 'mysql');
const enabled = Boolean(REDIS && mysql);
if (!enabled) console.info('Multi-node suite skipped: it needs both TEST_MYSQL_URL and TEST_REDIS_URL.');

const bearer = (a: AuthResult) => ({ Authorization: `Bearer ${a.accessToken}` });

(enabled ? describe : describe.skip)('two nodes on one database and one Redis', () => {
  let node1: TestApp;
  let node2: TestApp;

  beforeAll(async () => {
    const databaseUrl = await mysql!.url();
    const prefix = `parley-test-${process.pid}-${Date.now().toString(36)}:`;
    // one after the other: the first applies the migrations
    node1 = await startApp(testEnv(databaseUrl, { REDIS_URL: REDIS, REDIS_KEY_PREFIX: prefix, NODE_ID: 'node-1' }));
    node2 = await startApp(testEnv(databaseUrl, { REDIS_URL: REDIS, REDIS_KEY_PREFIX: prefix, NODE_ID: 'node-2' }));
  });
  afterAll(async () => {
    closeAllSockets();
    await node1?.close();
    await node2?.close();
  });

  it('reports Redis in /health', async () => {
    const res = await request(node1.url).get('/health').expect(200);
    expect(res.body.details).toMatchObject({ database: { status: 'up' }, redis: { status: 'up' } });
  });

  it('carries room messages and DMs across nodes, both ways', async () => {
    const alice = await register(node1.url, { displayName: 'Alice' });
    const bob = await register(node2.url, { displayName: 'Bob' });
    const a = await connect(node1.url, '/chat', { token: alice.accessToken });
    const b = await connect(node2.url, '/chat', { token: bob.accessToken });
    await emitAck(a, 'room:join', { room: 'cluster' });
    const joined = nextEvent<{ user: { id: string } }>(a, 'presence:join');
    await emitAck(b, 'room:join', { room: 'cluster' });
    await expect(joined).resolves.toMatchObject({ user: { id: bob.user.id } });
    // presence spans nodes: each side sees the other in the room
    const online = await emitAck<{ online: Array<{ id: string }> }>(a, 'presence:list', { room: 'cluster' });
    expect(online.ok && online.data.online.map((u) => u.id).sort()).toEqual([alice.user.id, bob.user.id].sort());
    const toB = nextEvent<{ body: string }>(b, 'message:new');
    await emitAck(a, 'message:send', { room: 'cluster', body: 'from node 1' });
    await expect(toB).resolves.toMatchObject({ body: 'from node 1' });
    const toA = nextEvent<{ body: string }>(a, 'message:new');
    await emitAck(b, 'message:send', { room: 'cluster', body: 'from node 2' });
    await expect(toA).resolves.toMatchObject({ body: 'from node 2' });
    const dm = nextEvent<{ body: string }>(b, 'dm:new');
    expect(await emitAck(a, 'dm:send', { to: bob.user.id, body: 'cross-node DM' })).toMatchObject({ ok: true });
    await expect(dm).resolves.toMatchObject({ body: 'cross-node DM' });
    const left = nextEvent<{ user: { id: string } }>(a, 'presence:leave');
    b.close();
    await expect(left).resolves.toMatchObject({ user: { id: bob.user.id } });
  });

  it('adds up dashboard stats over both nodes', async () => {
    const admin = await register(node1.url);
    await node1.makeAdmin(admin.user.email);
    const token = (await login(node1.url, admin.user.email)).accessToken;
    const user = await register(node2.url);
    await connect(node2.url, '/chat', { token: user.accessToken });
    const dashboard = await connect(node1.url, '/dashboard', { token });
    const stats = await emitAck<{ connections: number; nodes: Array<{ node: string; connections: number }> }>(dashboard, 'stats:get');
    expect(stats.ok && stats.data.nodes.map((n) => n.node).sort()).toEqual(['node-1', 'node-2']);
    if (stats.ok) expect(stats.data.connections).toBe(stats.data.nodes.reduce((total, n) => total + n.connections, 0));
    if (stats.ok) expect(stats.data.nodes.find((n) => n.node === 'node-2')?.connections).toBeGreaterThanOrEqual(1);
  });

  it('caps a user’s sockets across nodes', async () => {
    const capped = await register(node1.url);
    const held = [];
    for (let i = 0; i < 10; i++) held.push(await connect(i % 2 ? node2.url : node1.url, '/chat', { token: capped.accessToken }));
    expect((await refusal(connect(node2.url, '/chat', { token: capped.accessToken }))).data?.code).toBe('TOO_MANY_CONNECTIONS');
    expect((await refusal(connect(node1.url, '/chat', { token: capped.accessToken }))).data?.code).toBe('TOO_MANY_CONNECTIONS');
    for (const socket of held) socket.close();
  });

  it('removes, bans and deletes rooms on sockets of the other node', async () => {
    const owner = await register(node1.url, { displayName: 'Owner' });
    const member = await register(node2.url, { displayName: 'Member' });
    const room = uniqueRoom('cluster');
    await api(node1.url, owner).post('/rooms', { name: room, visibility: 'private' }).expect(201);
    await api(node1.url, owner).put(`/rooms/${room}/members/${member.user.id}`).expect(200);
    const ownerSocket = await connect(node1.url, '/chat', { token: owner.accessToken });
    data(await emitAck(ownerSocket, 'room:join', { room }));
    const inRoom = await connect(node2.url, '/chat', { token: member.accessToken });
    const elsewhere = await connect(node1.url, '/chat', { token: (await login(node1.url, member.user.email)).accessToken });
    data(await emitAck(inRoom, 'room:join', { room }));

    const removed = [inRoom, elsewhere].map((s) => nextEvent(s, 'room:removed'));
    await api(node1.url, owner).delete(`/rooms/${room}/members/${member.user.id}`).expect(204);
    expect(await Promise.all(removed)).toEqual(Array(2).fill({ room, reason: 'removed' }));
    const overheard = receives(inRoom, 'message:new');
    await post(ownerSocket, room, 'after the removal');
    expect(await overheard).toBe(false);
    expect(await emitAck(inRoom, 'room:join', { room })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });

    await api(node2.url, owner).put(`/rooms/${room}/members/${member.user.id}`).expect(200);
    data(await emitAck(inRoom, 'room:join', { room }));
    const banned = nextEvent(inRoom, 'room:removed');
    await api(node1.url, owner).put(`/rooms/${room}/bans/${member.user.id}`, { reason: 'cluster test' }).expect(204);
    await expect(banned).resolves.toEqual({ room, reason: 'banned' });
    expect(await emitAck(inRoom, 'message:send', { room, body: 'banned?' })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    expect(await emitAck(inRoom, 'room:join', { room })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });

    const listener = await register(node2.url);
    await api(node1.url, owner).put(`/rooms/${room}/members/${listener.user.id}`).expect(200);
    const listenerSocket = await connect(node2.url, '/chat', { token: listener.accessToken });
    data(await emitAck(listenerSocket, 'room:join', { room }));
    const deleted = [ownerSocket, listenerSocket].map((s) => nextEvent(s, 'room:deleted'));
    await api(node2.url, owner).delete(`/rooms/${room}`).expect(204);
    expect(await Promise.all(deleted)).toEqual([{ room }, { room }]);
    expect(await emitAck(listenerSocket, 'message:send', { room, body: 'gone?' })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
  });

  it('carries edits, deletions, reactions and read markers across nodes', async () => {
    const alice = await register(node1.url, { displayName: 'Alice' });
    const bob = await register(node2.url, { displayName: 'Bob' });
    const room = uniqueRoom('lifecycle');
    const a = await connect(node1.url, '/chat', { token: alice.accessToken });
    const b = await connect(node2.url, '/chat', { token: bob.accessToken });
    data(await emitAck(b, 'room:join', { room }));
    const sent = await post(a, room, 'cross-node');
    const edited = nextEvent<Message>(b, 'message:updated');
    data(await emitAck(a, 'message:edit', { id: sent.id, body: 'cross-node, edited' }));
    await expect(edited).resolves.toMatchObject({ id: sent.id, body: 'cross-node, edited' });
    const reacted = nextEvent<Message>(a, 'message:updated');
    data(await emitAck(b, 'reaction:add', { id: sent.id, emoji: '🛰️' }));
    await expect(reacted).resolves.toMatchObject({ reactions: [{ emoji: '🛰️', userIds: [bob.user.id] }] });
    // the same message changed on both nodes at once: no change is lost
    await Promise.all(
      [emitAck(a, 'reaction:add', { id: sent.id, emoji: 'a' }), emitAck(b, 'reaction:add', { id: sent.id, emoji: 'b' })].map((p) => p.then(data)),
    );
    const [stored] = (await api(node2.url, bob).get(`/rooms/${room}/messages`).expect(200)).body.messages as Message[];
    expect(stored.reactions.map((r) => r.emoji).sort()).toEqual(['a', 'b', '🛰️'].sort());
    const bobOnNode1 = await connect(node1.url, '/chat', { token: (await login(node1.url, bob.user.email)).accessToken });
    const synced = nextEvent(bobOnNode1, 'room:read');
    expect(data(await emitAck(b, 'room:read', { room, messageId: sent.id }))).toEqual({ room, messageId: sent.id, unread: 0 });
    await expect(synced).resolves.toEqual({ room, messageId: sent.id, unread: 0 });
    const deleted = nextEvent(b, 'message:deleted');
    data(await emitAck(a, 'message:delete', { id: sent.id }));
    await expect(deleted).resolves.toEqual({ room, id: sent.id });
    // a DM's broadcasts reach both users on both nodes
    const dm = data(await emitAck<Message>(a, 'dm:send', { to: bob.user.id, body: 'dm across' }));
    const dmEdits = [b, bobOnNode1].map((s) => nextEvent<Message>(s, 'message:updated'));
    data(await emitAck(a, 'message:edit', { id: dm.id, body: 'dm across, edited' }));
    for (const event of await Promise.all(dmEdits)) expect(event).toMatchObject({ id: dm.id, body: 'dm across, edited' });
  });

  it('ends a session on every node within a second', async () => {
    const alice = await register(node1.url);
    const other = await login(node1.url, alice.user.email);
    const onNode2 = await connect(node2.url, '/chat', { token: alice.accessToken });
    const revoked = nextEvent<{ reason: string }>(onNode2, 'session:revoked', 1000);
    const disconnected = nextEvent(onNode2, 'disconnect', 1000);
    const started = Date.now();
    await request(node1.url).post('/auth/logout').set(bearer(alice)).expect(204);
    await expect(revoked).resolves.toEqual({ reason: 'logout' });
    await disconnected;
    let refused = false;
    while (!refused && Date.now() - started < 1000) {
      refused = (await request(node2.url).get('/auth/me').set(bearer(alice))).status === 401;
      if (!refused) await sleep(20);
    }
    expect(refused).toBe(true);
    await request(node2.url).get('/auth/me').set(bearer(other)).expect(200);
  });
});
