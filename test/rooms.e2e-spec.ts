import { Socket } from 'socket.io-client';
import { DataSource, EntitySubscriberInterface } from 'typeorm';
import type { Message, RoomEntry } from '../src/protocol';
import { DATABASES, startApp, testEnv, TestApp } from './support/app';
import { AuthResult, closeAllSockets, emitAck, nextEvent, receives, register } from './support/clients';
import { api, chatSocket, data, post, uniqueRoom } from './support/rooms';

describe.each(DATABASES)('rooms and people ($name)', ({ url: databaseUrl }) => {
  let t: TestApp;
  let ada: AuthResult;
  let bo: AuthResult;
  let cy: AuthResult;

  beforeAll(async () => {
    t = await startApp(testEnv(await databaseUrl(), { WS_RATE_LIMIT: '100000/1s', ROOMS_PER_USER: '3', WS_MAX_ROOMS_PER_SOCKET: '3' }));
    ada = await register(t.url, { displayName: 'Ada Lovelace' });
    bo = await register(t.url, { displayName: 'Bo' });
    cy = await register(t.url, { displayName: 'Cy' });
  });
  afterAll(async () => {
    closeAllSockets();
    await t?.close();
  });

  it('creates a room the caller owns; refuses a name in use, announcements, dm: and bad fields', async () => {
    const name = uniqueRoom('create');
    const created = await api(t.url, ada).post('/rooms', { name, title: 'Team', visibility: 'private' }).expect(201);
    expect(created.body).toEqual({ name, title: 'Team', visibility: 'private', ownerId: ada.user.id, createdAt: expect.any(String), memberCount: 1 });
    expect((await api(t.url, ada).get(`/rooms/${name}/members`).expect(200)).body.members).toEqual([
      { user: { id: ada.user.id, displayName: 'Ada Lovelace' }, role: 'owner', joinedAt: expect.any(String), lastReadMessageId: null },
    ]);
    await api(t.url, bo).post('/rooms', { name }).expect(409);
    const used = uniqueRoom('used');
    await post(await chatSocket(t.url, bo), used, 'this name has history');
    await api(t.url, bo).post('/rooms', { name: used }).expect(409);
    await api(t.url, bo).post('/rooms', { name: 'announcements' }).expect(409);
    for (const body of [
      { name: `dm:${ada.user.id}:${bo.user.id}` },
      { name: 'Not Valid' },
      { name: 'x', title: '' },
      { name: 'x', visibility: 'secret' },
      { name: 'x', extra: 1 },
    ]) {
      await api(t.url, bo).post('/rooms', body).expect(400);
    }
    const defaults = await api(t.url, bo)
      .post('/rooms', { name: uniqueRoom('plain') })
      .expect(201);
    expect(defaults.body).toMatchObject({ visibility: 'public', title: defaults.body.name });
  });

  it('caps the rooms one user owns (ROOMS_PER_USER), on create and on transfer', async () => {
    const owner = await register(t.url);
    const made = [];
    for (let i = 0; i < 3; i++)
      made.push(
        (
          await api(t.url, owner)
            .post('/rooms', { name: uniqueRoom('cap') })
            .expect(201)
        ).body.name,
      );
    await api(t.url, owner)
      .post('/rooms', { name: uniqueRoom('cap') })
      .expect(409);
    const other = await register(t.url);
    const theirs = uniqueRoom('cap');
    await api(t.url, other).post('/rooms', { name: theirs }).expect(201);
    await api(t.url, other).put(`/rooms/${theirs}/members/${owner.user.id}`).expect(200);
    await api(t.url, other).patch(`/rooms/${theirs}`, { ownerId: owner.user.id }).expect(409);
    await api(t.url, owner).delete(`/rooms/${made[0]}`).expect(204);
    await api(t.url, owner)
      .post('/rooms', { name: uniqueRoom('cap') })
      .expect(201);
  });

  it('transfers ownership to a member only; the owner leaves only after transferring', async () => {
    const name = uniqueRoom('transfer');
    await api(t.url, ada).post('/rooms', { name }).expect(201);
    await api(t.url, ada).patch(`/rooms/${name}`, { ownerId: bo.user.id }).expect(400);
    await api(t.url, ada).delete(`/rooms/${name}/members/${ada.user.id}`).expect(409);
    await api(t.url, ada).put(`/rooms/${name}/members/${bo.user.id}`).expect(200);
    const patched = await api(t.url, ada).patch(`/rooms/${name}`, { ownerId: bo.user.id, title: 'Handed over', visibility: 'private' }).expect(200);
    expect(patched.body).toMatchObject({ ownerId: bo.user.id, title: 'Handed over', visibility: 'private', memberCount: 2 });
    const roles = (await api(t.url, bo).get(`/rooms/${name}/members`).expect(200)).body.members.map((m: { user: { id: string }; role: string }) => [
      m.user.id,
      m.role,
    ]);
    expect(new Map(roles)).toEqual(
      new Map([
        [ada.user.id, 'moderator'],
        [bo.user.id, 'owner'],
      ]),
    );
    await api(t.url, ada).patch(`/rooms/${name}`, { title: 'mine again' }).expect(403);
    await api(t.url, ada).delete(`/rooms/${name}/members/${ada.user.id}`).expect(204);
    await api(t.url, ada).get(`/rooms/${name}`).expect(403);
    await api(t.url, bo).put(`/rooms/${name}/members/01ARZ3NDEKTSV4RRFFQ69G5FAV`).expect(404);
    await api(t.url, bo).delete(`/rooms/${name}/members/${cy.user.id}`).expect(404);
  });

  it('lists member rooms, created public rooms and DMs, most recent activity first, with exact unread counts', async () => {
    const reader = await register(t.url, { displayName: 'Reader' });
    const writer = await register(t.url, { displayName: 'Writer' });
    const readerSocket = await chatSocket(t.url, reader);
    const writerSocket = await chatSocket(t.url, writer);
    const quiet = uniqueRoom('quiet');
    await api(t.url, writer).post('/rooms', { name: quiet }).expect(201);
    const busy = uniqueRoom('busy');
    await api(t.url, writer).post('/rooms', { name: busy }).expect(201);
    const hidden = uniqueRoom('hidden');
    await api(t.url, writer).post('/rooms', { name: hidden, visibility: 'private', title: 'Secret plans' }).expect(201);
    // the reader joins busy: the marker starts at its latest message (none yet)
    data(await emitAck(readerSocket, 'room:join', { room: busy }));
    await post(writerSocket, busy, 'one');
    await post(readerSocket, busy, 'my own never counts');
    const last = await post(writerSocket, busy, 'two');
    const gone = await post(writerSocket, busy, 'deleted ones never count');
    data(await emitAck(writerSocket, 'message:delete', { id: gone.id }));
    await post(writerSocket, hidden, 'private activity');
    const dm = data(await emitAck<Message>(writerSocket, 'dm:send', { to: reader.user.id, body: 'hello there' }));

    const list = (await api(t.url, reader).get('/rooms').expect(200)).body.rooms as RoomEntry[];
    const names = list.map((r) => r.name);
    expect(names).not.toContain(hidden);
    expect(names.indexOf(dm.room)).toBeLessThan(names.indexOf(busy));
    expect(names.indexOf(busy)).toBeLessThan(names.indexOf(quiet));
    expect(list.find((r) => r.name === dm.room)).toEqual({
      name: dm.room,
      title: 'Writer',
      visibility: 'private',
      ownerId: null,
      createdAt: expect.any(String),
      memberCount: 2,
      role: 'member',
      unread: 1,
      lastMessage: dm,
      peer: { id: writer.user.id, displayName: 'Writer' },
    });
    expect(list.find((r) => r.name === busy)).toMatchObject({
      role: 'member',
      unread: 2,
      memberCount: 2,
      lastMessage: { id: gone.id, deletedAt: expect.any(String), body: '' },
    });
    expect(list.find((r) => r.name === quiet)).toMatchObject({ role: null, unread: 0, lastMessage: null, ownerId: writer.user.id, memberCount: 1 });
    // reading moves the count
    expect(data(await emitAck(readerSocket, 'room:read', { room: busy, messageId: last.id }))).toEqual({ room: busy, messageId: last.id, unread: 0 });
    const after = (await api(t.url, reader).get('/rooms').expect(200)).body.rooms as RoomEntry[];
    expect(after.find((r) => r.name === busy)?.unread).toBe(0);
    // the writer sees the private room it owns
    const writers = (await api(t.url, writer).get('/rooms').expect(200)).body.rooms as RoomEntry[];
    expect(writers.find((r) => r.name === hidden)).toMatchObject({ role: 'owner', title: 'Secret plans', visibility: 'private', unread: 0 });
  });

  it('answers GET /rooms in a fixed number of queries, for 3 rooms or 30', async () => {
    const user = await register(t.url);
    const peer = await register(t.url, { displayName: 'Peer' });
    const socket = await chatSocket(t.url, user);
    const peerSocket = await chatSocket(t.url, peer);
    const dataSource = t.app.get(DataSource);
    let queries = 0;
    dataSource.subscribers.push({ beforeQuery: () => void queries++ } as EntitySubscriberInterface);
    const addRooms = async (count: number) => {
      for (let i = 0; i < count; i++) {
        const room = uniqueRoom('many');
        await post(socket, room, 'hi');
        data(await emitAck(socket, 'room:leave', { room }));
      }
      data(await emitAck(peerSocket, 'dm:send', { to: user.user.id, body: 'a dm' }));
    };
    // Background reloads (API keys, blocklist, revocations, stats) query on their own timers and
    // may land inside a request: the request's own count is the fewest seen over three.
    const count = async () => {
      let fewest = Infinity;
      let mine = 0;
      for (let i = 0; i < 3; i++) {
        queries = 0;
        const rooms = (await api(t.url, user).get('/rooms').expect(200)).body.rooms as RoomEntry[];
        fewest = Math.min(fewest, queries);
        mine = rooms.filter((r) => r.role !== null).length;
      }
      return { queries: fewest, mine };
    };
    await addRooms(3);
    const few = await count();
    await addRooms(27);
    const many = await count();
    expect([few.mine, many.mine]).toEqual([4, 31]);
    expect(many.queries).toBe(few.queries);
    expect(many.queries).toBeLessThanOrEqual(4);
  });

  it('counts unread exactly up to 1000, then says 1000', async () => {
    const reader = await register(t.url);
    const writer = await register(t.url);
    const room = uniqueRoom('flood');
    const readerSocket = await chatSocket(t.url, reader);
    data(await emitAck(readerSocket, 'room:join', { room }));
    const writerSocket = await chatSocket(t.url, writer);
    data(await emitAck(writerSocket, 'room:join', { room }));
    const send = (n: number) => Promise.all(Array.from({ length: n }, (_, i) => emitAck(writerSocket, 'message:send', { room, body: `m${i}` })));
    const unread = async () => ((await api(t.url, reader).get('/rooms').expect(200)).body.rooms as RoomEntry[]).find((r) => r.name === room)?.unread;
    await send(999);
    expect(await unread()).toBe(999);
    await send(1);
    expect(await unread()).toBe(1000);
    await send(5);
    expect(await unread()).toBe(1000);
  }, 60_000);

  it('finds people by display-name prefix, case-insensitively, without emails', async () => {
    const tag = `zq${Date.now().toString(36)}`;
    const found = [];
    for (const name of [`${tag} Émile`, `${tag.toUpperCase()} Adam`, `${tag}x`]) found.push(await register(t.url, { displayName: name }));
    const res = await api(t.url, ada)
      .get(`/users?q=${encodeURIComponent(tag.toUpperCase())}`)
      .expect(200);
    expect(res.body).toEqual({
      users: [`${tag.toUpperCase()} Adam`, `${tag} Émile`, `${tag}x`].map((displayName) => ({ id: expect.any(String), displayName })),
    });
    expect(JSON.stringify(res.body)).not.toContain('@');
    expect(
      (
        await api(t.url, ada)
          .get(`/users?q=${encodeURIComponent(`${tag} é`)}`)
          .expect(200)
      ).body.users,
    ).toHaveLength(1);
    expect((await api(t.url, ada).get(`/users?q=${tag}zzz`).expect(200)).body.users).toEqual([]);
    await api(t.url, ada).get('/users').expect(400);
    await api(t.url, ada)
      .get(`/users?q=${'a'.repeat(51)}`)
      .expect(400);
    expect((await api(t.url, ada).get(`/users/${found[0].user.id}`).expect(200)).body).toEqual({ id: found[0].user.id, displayName: `${tag} Émile` });
    await api(t.url, ada).get('/users/01ARZ3NDEKTSV4RRFFQ69G5FAV').expect(404);
  });

  it('removes, bans and deletes on live sockets: room:removed to every socket of the user, room:deleted to the room', async () => {
    const name = uniqueRoom('live');
    await api(t.url, ada).post('/rooms', { name }).expect(201);
    const adaSocket = await chatSocket(t.url, ada);
    data(await emitAck(adaSocket, 'room:join', { room: name }));
    const [inRoom, elsewhere] = [await chatSocket(t.url, bo), await chatSocket(t.url, bo)];
    data(await emitAck(inRoom, 'room:join', { room: name }));

    const removals = [inRoom, elsewhere].map((s) => nextEvent(s, 'room:removed'));
    const left = nextEvent(adaSocket, 'presence:leave');
    await api(t.url, ada).delete(`/rooms/${name}/members/${bo.user.id}`).expect(204);
    expect(await Promise.all(removals)).toEqual([
      { room: name, reason: 'removed' },
      { room: name, reason: 'removed' },
    ]);
    await expect(left).resolves.toEqual({ room: name, user: { id: bo.user.id, displayName: 'Bo' } });
    expect((await emitAck(inRoom, 'message:send', { room: name, body: 'still here?' })).ok).toBe(false);
    const heard = receives(inRoom, 'message:new');
    await post(adaSocket, name, 'bo is gone');
    expect(await heard).toBe(false);

    // a ban: removed with reason banned, join refused until it is lifted (or expires)
    data(await emitAck(inRoom, 'room:join', { room: name }));
    const banned = nextEvent(inRoom, 'room:removed');
    const until = new Date(Date.now() + 1500).toISOString();
    await api(t.url, ada).put(`/rooms/${name}/bans/${bo.user.id}`, { until, reason: 'spam' }).expect(204);
    await expect(banned).resolves.toEqual({ room: name, reason: 'banned' });
    expect((await api(t.url, ada).get(`/rooms/${name}/bans`).expect(200)).body.bans).toEqual([
      { user: { id: bo.user.id, displayName: 'Bo' }, until, reason: 'spam', createdAt: expect.any(String) },
    ]);
    expect(await emitAck(inRoom, 'room:join', { room: name })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    await api(t.url, ada).put(`/rooms/${name}/members/${bo.user.id}`).expect(409);
    await api(t.url, ada)
      .put(`/rooms/${name}/bans/${bo.user.id}`, { until: new Date(Date.now() - 1000).toISOString() })
      .expect(400);
    await new Promise((resolve) => setTimeout(resolve, 1600));
    data(await emitAck(inRoom, 'room:join', { room: name }));
    expect((await api(t.url, ada).get(`/rooms/${name}/bans`).expect(200)).body.bans).toEqual([]);

    // leaving: reason left, to the leaver's own sockets
    const leftSelf = nextEvent(elsewhere, 'room:removed');
    await api(t.url, bo).delete(`/rooms/${name}/members/${bo.user.id}`).expect(204);
    await expect(leftSelf).resolves.toEqual({ room: name, reason: 'left' });
    data(await emitAck(inRoom, 'room:join', { room: name }));

    // deletion: every socket in the room hears it and leaves; the name is free again
    const deleted = [adaSocket, inRoom].map((s) => nextEvent(s, 'room:deleted'));
    await api(t.url, ada).delete(`/rooms/${name}`).expect(204);
    expect(await Promise.all(deleted)).toEqual([{ room: name }, { room: name }]);
    expect((await emitAck(adaSocket, 'message:send', { room: name, body: 'echo?' })).ok).toBe(false);
    expect((await api(t.url, ada).get(`/rooms/${name}/messages`).expect(200)).body.messages).toEqual([]);
    await api(t.url, bo).post('/rooms', { name }).expect(201);
  });

  it('announces presence:leave in each room a disconnecting socket was in, unless another socket of the user stays', async () => {
    const leaver = await register(t.url, { displayName: 'Leaver' });
    const watcher = await register(t.url);
    const rooms = [uniqueRoom('bye'), uniqueRoom('bye'), uniqueRoom('bye')];
    const watching = await chatSocket(t.url, watcher);
    for (const room of rooms) data(await emitAck(watching, 'room:join', { room }));
    const going = await chatSocket(t.url, leaver);
    const staying = await chatSocket(t.url, leaver);
    for (const room of rooms) data(await emitAck(going, 'room:join', { room }));
    data(await emitAck(staying, 'room:join', { room: rooms[2] }));
    const leaves: Array<{ room: string }> = [];
    watching.on('presence:leave', (event: { room: string }) => leaves.push(event));
    going.close();
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(leaves.map((e) => e.room).sort()).toEqual([rooms[0], rooms[1]].sort());
    expect((await emitAck<{ online: Array<{ id: string }> }>(watching, 'presence:list', { room: rooms[2] })).ok).toBe(true);
  });

  it('caps the rooms of one socket (WS_MAX_ROOMS_PER_SOCKET, announcements included)', async () => {
    const socket: Socket = await chatSocket(t.url, cy);
    const [a, b] = [uniqueRoom('cap'), uniqueRoom('cap')];
    data(await emitAck(socket, 'room:join', { room: 'announcements' }));
    data(await emitAck(socket, 'room:join', { room: a }));
    data(await emitAck(socket, 'room:join', { room: b }));
    expect(await emitAck(socket, 'room:join', { room: uniqueRoom('cap') })).toMatchObject({ ok: false, error: { code: 'LIMIT_EXCEEDED' } });
    data(await emitAck(socket, 'room:join', { room: a }));
    data(await emitAck(socket, 'room:leave', { room: b }));
    data(await emitAck(socket, 'room:join', { room: uniqueRoom('cap') }));
    // parallel joins cannot overshoot
    data(await emitAck(socket, 'room:leave', { room: a }));
    const many = await Promise.all([uniqueRoom('cap'), uniqueRoom('cap'), uniqueRoom('cap')].map((room) => emitAck(socket, 'room:join', { room })));
    expect(many.filter((ack) => ack.ok)).toHaveLength(1);
  });
});
