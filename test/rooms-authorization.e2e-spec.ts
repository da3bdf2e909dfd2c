import { Socket } from 'socket.io-client';
import type { Message } from '../src/protocol';
import { DATABASES, startApp, testEnv, TestApp } from './support/app';
import { Ack, AuthResult, closeAllSockets, emitAck, login, register } from './support/clients';
import { api, chatSocket, data, post, uniqueRoom } from './support/rooms';

/**
 * Every role against every action, for a public and a private created room: what each one
 * may do on REST and on the socket, as one table. Each (visibility, role) row acts on a room
 * of its own, set up the same way, so no action sees another's side effects; the actions that
 * change the caller's standing (join, send, delete the room) come last.
 */
type Role = 'owner' | 'moderator' | 'member' | 'nonMember' | 'banned' | 'admin';
const ROLES: Role[] = ['owner', 'moderator', 'member', 'nonMember', 'banned', 'admin'];
type Outcome = 'ok' | 'forbidden';

const ACTIONS = [
  'details',
  'historyRest',
  'historyWs',
  'presence',
  'members',
  'bans',
  'react',
  'read',
  'editOwn',
  'editOthers',
  'deleteOthers',
  'addMember',
  'grantModerator',
  'takeModerator',
  'removeMember',
  'ban',
  'unban',
  'patch',
  'join',
  'send',
  'deleteRoom',
] as const;
type Action = (typeof ACTIONS)[number];

// columns: owner, moderator, member, nonMember, banned, admin
const Y = 'ok' as const;
const N = 'forbidden' as const;
type Row = [Outcome, Outcome, Outcome, Outcome, Outcome, Outcome];
const EXPECTED: Record<'public' | 'private', Record<Action, Row>> = {
  public: {
    details: [Y, Y, Y, Y, Y, Y],
    historyRest: [Y, Y, Y, Y, N, Y],
    historyWs: [Y, Y, Y, Y, N, Y],
    presence: [Y, Y, Y, Y, N, Y],
    members: [Y, Y, Y, Y, N, Y],
    bans: [Y, Y, N, N, N, Y],
    react: [Y, Y, Y, N, N, Y],
    // a read marker belongs to a membership: an admin who never joined has none
    read: [Y, Y, Y, N, N, N],
    // their own message, posted while they could (the banned user before the ban)
    editOwn: [Y, Y, Y, Y, N, Y],
    editOthers: [N, N, N, N, N, N],
    deleteOthers: [Y, Y, N, N, N, Y],
    addMember: [Y, Y, N, N, N, Y],
    grantModerator: [Y, N, N, N, N, Y],
    takeModerator: [Y, N, N, N, N, Y],
    removeMember: [Y, Y, N, N, N, Y],
    ban: [Y, Y, N, N, N, Y],
    unban: [Y, Y, N, N, N, Y],
    patch: [Y, N, N, N, N, Y],
    join: [Y, Y, Y, Y, N, Y],
    send: [Y, Y, Y, Y, N, Y],
    deleteRoom: [Y, N, N, N, N, Y],
  },
  private: {
    details: [Y, Y, Y, N, N, Y],
    historyRest: [Y, Y, Y, N, N, Y],
    historyWs: [Y, Y, Y, N, N, Y],
    presence: [Y, Y, Y, N, N, Y],
    members: [Y, Y, Y, N, N, Y],
    bans: [Y, Y, N, N, N, Y],
    react: [Y, Y, Y, N, N, Y],
    read: [Y, Y, Y, N, N, N],
    // the non-member never could post in the private room: they have no message to edit
    editOwn: [Y, Y, Y, N, N, Y],
    editOthers: [N, N, N, N, N, N],
    deleteOthers: [Y, Y, N, N, N, Y],
    addMember: [Y, Y, N, N, N, Y],
    grantModerator: [Y, N, N, N, N, Y],
    takeModerator: [Y, N, N, N, N, Y],
    removeMember: [Y, Y, N, N, N, Y],
    ban: [Y, Y, N, N, N, Y],
    unban: [Y, Y, N, N, N, Y],
    patch: [Y, N, N, N, N, Y],
    join: [Y, Y, Y, N, N, Y],
    send: [Y, Y, Y, N, N, Y],
    deleteRoom: [Y, N, N, N, N, Y],
  },
};

const rest = (status: number): Outcome | string => (status >= 200 && status < 300 ? 'ok' : status === 403 ? 'forbidden' : `HTTP ${status}`);
const ws = (ack: Ack): Outcome | string => (ack.ok ? 'ok' : ack.error.code === 'FORBIDDEN' ? 'forbidden' : ack.error.code);

describe.each(DATABASES)('room authorization table ($name)', ({ url: databaseUrl }) => {
  let t: TestApp;
  const users = {} as Record<Role | 'poster', AuthResult>;
  const sockets = {} as Record<Role | 'poster', Socket>;

  beforeAll(async () => {
    t = await startApp(testEnv(await databaseUrl(), { WS_RATE_LIMIT: '10000/1s', ROOMS_PER_USER: '100' }));
    for (const role of [...ROLES, 'poster'] as const) users[role] = await register(t.url, { displayName: `${role} user` });
    await t.makeAdmin(users.admin.user.email);
    users.admin = await login(t.url, users.admin.user.email);
    for (const role of [...ROLES, 'poster'] as const) sockets[role] = await chatSocket(t.url, users[role]);
  });
  afterAll(async () => {
    closeAllSockets();
    await t?.close();
  });

  interface Fixture {
    name: string;
    own: Partial<Record<Role, Message>>;
    owner: ReturnType<typeof api>;
    targets: () => Promise<AuthResult>;
  }

  /** A room set up for one row of the table; the messages each role can act on. */
  async function fixture(visibility: 'public' | 'private'): Promise<Fixture> {
    const name = uniqueRoom('auth');
    const owner = api(t.url, users.owner);
    await owner.post('/rooms', { name, visibility }).expect(201);
    await owner.put(`/rooms/${name}/members/${users.moderator.user.id}`, { role: 'moderator' }).expect(200);
    for (const role of ['member', 'poster', 'banned'] as const) await owner.put(`/rooms/${name}/members/${users[role].user.id}`).expect(200);
    const own: Partial<Record<Role, Message>> = {};
    for (const role of ['owner', 'moderator', 'member', 'banned', 'admin'] as const) own[role] = await post(sockets[role], name, `${role} says hi`);
    if (visibility === 'public') {
      // the non-member once joined and posted, then left
      own.nonMember = await post(sockets.nonMember, name, 'nonMember says hi');
      await api(t.url, users.nonMember).delete(`/rooms/${name}/members/${users.nonMember.user.id}`).expect(204);
    }
    await owner.put(`/rooms/${name}/bans/${users.banned.user.id}`, { reason: 'table' }).expect(204);
    // the admin joined only to post: they are not a member
    await api(t.url, users.admin).delete(`/rooms/${name}/members/${users.admin.user.id}`).expect(204);
    for (const role of ROLES) await emitAck(sockets[role], 'room:leave', { room: name });
    return { name, own, owner, targets: () => register(t.url, { displayName: 'target' }) };
  }

  async function attempt(role: Role, fixture: Fixture, action: Action): Promise<Outcome | string> {
    const { name, own, owner } = fixture;
    const me = api(t.url, users[role]);
    const socket = sockets[role];
    const others = async () => post(sockets.poster, name, 'poster says hi');
    switch (action) {
      case 'details':
        return rest((await me.get(`/rooms/${name}`)).status);
      case 'historyRest':
        return rest((await me.get(`/rooms/${name}/messages`)).status);
      case 'historyWs':
        return ws(await emitAck(socket, 'message:history', { room: name }));
      case 'presence':
        return ws(await emitAck(socket, 'presence:list', { room: name }));
      case 'members':
        return rest((await me.get(`/rooms/${name}/members`)).status);
      case 'bans':
        return rest((await me.get(`/rooms/${name}/bans`)).status);
      case 'react':
        return ws(await emitAck(socket, 'reaction:add', { id: (await others()).id, emoji: '👍' }));
      case 'read':
        return ws(await emitAck(socket, 'room:read', { room: name, messageId: (await others()).id }));
      case 'editOwn': {
        const mine = own[role];
        return mine ? ws(await emitAck(socket, 'message:edit', { id: mine.id, body: 'edited' })) : 'forbidden';
      }
      case 'editOthers':
        return ws(await emitAck(socket, 'message:edit', { id: (await others()).id, body: 'not yours' }));
      case 'deleteOthers':
        return ws(await emitAck(socket, 'message:delete', { id: (await others()).id }));
      case 'addMember':
        return rest((await me.put(`/rooms/${name}/members/${(await fixture.targets()).user.id}`)).status);
      case 'grantModerator': {
        const target = await fixture.targets();
        await owner.put(`/rooms/${name}/members/${target.user.id}`).expect(200);
        return rest((await me.put(`/rooms/${name}/members/${target.user.id}`, { role: 'moderator' })).status);
      }
      case 'takeModerator': {
        const target = await fixture.targets();
        await owner.put(`/rooms/${name}/members/${target.user.id}`, { role: 'moderator' }).expect(200);
        return rest((await me.put(`/rooms/${name}/members/${target.user.id}`, { role: 'member' })).status);
      }
      case 'removeMember': {
        const target = await fixture.targets();
        await owner.put(`/rooms/${name}/members/${target.user.id}`).expect(200);
        return rest((await me.delete(`/rooms/${name}/members/${target.user.id}`)).status);
      }
      case 'ban': {
        const target = await fixture.targets();
        await owner.put(`/rooms/${name}/members/${target.user.id}`).expect(200);
        return rest((await me.put(`/rooms/${name}/bans/${target.user.id}`, {})).status);
      }
      case 'unban': {
        const target = await fixture.targets();
        await owner.put(`/rooms/${name}/bans/${target.user.id}`, {}).expect(204);
        return rest((await me.delete(`/rooms/${name}/bans/${target.user.id}`)).status);
      }
      case 'patch':
        return rest((await me.patch(`/rooms/${name}`, { title: `${role} was here` })).status);
      case 'join':
        return ws(await emitAck(socket, 'room:join', { room: name }));
      case 'send':
        return ws(await emitAck(socket, 'message:send', { room: name, body: `${role} sends` }));
      case 'deleteRoom':
        return rest((await me.delete(`/rooms/${name}`)).status);
    }
  }

  it.each(['public', 'private'] as const)(
    'holds for a %s room',
    async (visibility) => {
      const actual: Record<string, Record<string, Outcome | string>> = {};
      const expected: Record<string, Record<string, Outcome>> = {};
      for (const [column, role] of ROLES.entries()) {
        const room = await fixture(visibility);
        for (const action of ACTIONS) {
          (actual[action] ??= {})[role] = await attempt(role, room, action);
          (expected[action] ??= {})[role] = EXPECTED[visibility][action][column];
        }
        for (const r of ROLES) await emitAck(sockets[r], 'room:leave', { room: room.name });
      }
      expect(actual).toEqual(expected);
    },
    120_000,
  );

  it('holds for an implicit room: public, no owner, moderated by admins', async () => {
    const name = uniqueRoom('implicit');
    const message = await post(sockets.poster, name, 'implicit hello');
    const member = api(t.url, users.member);
    data(await emitAck(sockets.member, 'room:join', { room: name }));
    expect((await member.get(`/rooms/${name}`).expect(200)).body).toMatchObject({
      name,
      title: name,
      visibility: 'public',
      ownerId: null,
      memberCount: 2,
    });
    expect((await member.get(`/rooms/${name}/members`).expect(200)).body.members.map((m: { role: string }) => m.role)).toEqual(['member', 'member']);
    expect(ws(await emitAck(sockets.member, 'message:delete', { id: message.id }))).toBe('forbidden');
    await member.put(`/rooms/${name}/members/${users.nonMember.user.id}`).expect(403);
    await member.delete(`/rooms/${name}`).expect(403);
    const admin = api(t.url, users.admin);
    await admin.put(`/rooms/${name}/members/${users.member.user.id}`, { role: 'moderator' }).expect(200);
    expect(ws(await emitAck(sockets.member, 'message:delete', { id: message.id }))).toBe('ok');
    await admin.put(`/rooms/${name}/bans/${users.poster.user.id}`, {}).expect(204);
    expect(ws(await emitAck(sockets.poster, 'room:join', { room: name }))).toBe('forbidden');
    await admin.patch(`/rooms/${name}`, { title: 'x' }).expect(409);
    await admin.delete(`/rooms/${name}`).expect(204);
  });

  it('keeps announcements as it was, and DMs to their two users', async () => {
    const admin = api(t.url, users.admin);
    data(await emitAck(sockets.member, 'room:join', { room: 'announcements' }));
    expect(ws(await emitAck(sockets.member, 'message:send', { room: 'announcements', body: 'me?' }))).toBe('forbidden');
    await admin.post('/rooms', { name: 'announcements' }).expect(409);
    await admin.patch('/rooms/announcements', { title: 'x' }).expect(403);
    const dm = data(await emitAck<Message>(sockets.member, 'dm:send', { to: users.poster.user.id, body: 'psst' }));
    expect(ws(await emitAck(sockets.member, 'room:join', { room: dm.room }))).toBe('forbidden');
    for (const outsider of ['nonMember', 'admin'] as const) {
      await api(t.url, users[outsider]).get(`/rooms/${dm.room}/messages`).expect(403);
      expect(ws(await emitAck(sockets[outsider], 'message:history', { room: dm.room }))).toBe('forbidden');
      expect(ws(await emitAck(sockets[outsider], 'reaction:add', { id: dm.id, emoji: '👀' }))).toBe('forbidden');
      expect(ws(await emitAck(sockets[outsider], 'room:read', { room: dm.room, messageId: dm.id }))).toBe('forbidden');
    }
    expect(ws(await emitAck(sockets.poster, 'message:edit', { id: dm.id, body: 'not mine' }))).toBe('forbidden');
    expect(ws(await emitAck(sockets.poster, 'reaction:add', { id: dm.id, emoji: '👀' }))).toBe('ok');
    expect(ws(await emitAck(sockets.poster, 'message:delete', { id: dm.id }))).toBe('forbidden');
    await api(t.url, users.poster).get(`/rooms/${dm.room}/members`).expect(403);
    // an admin moderates: deletion only
    expect(ws(await emitAck(sockets.admin, 'message:delete', { id: dm.id }))).toBe('ok');
  });
});
