import request from 'supertest';
import { API_KEY_SCOPES, ApiKeyScope } from '../src/protocol';
import { AccessAuthService } from '../src/auth/access-auth.service';
import { ApiKeysService } from '../src/server-api/api-keys.service';
import { BlocklistService } from '../src/users/blocklist.service';
import { appPerSuite } from './support/app';
import { AuthResult, connect, emitAck, login, nextEvent, receives, refusal, register } from './support/clients';

const auth = (key: string) => ({ Authorization: `Bearer ${key}` });
const bearer = (a: AuthResult) => ({ Authorization: `Bearer ${a.accessToken}` });

describe('server API: keys, scopes and limits', () => {
  const suite = appPerSuite({ WS_RATE_LIMIT: '1000/1s' });

  it('takes only an API key: missing, unknown, malformed, revoked keys and user tokens are 401', async () => {
    const { url } = suite.t;
    const user = await register(url);
    const { key, id } = await suite.t.apiKey();
    await request(url).get('/api/v1/stats').set(auth(key)).expect(200);
    for (const headers of [{}, auth('pk_nosuchkey_secret'), auth('not-a-key'), auth(`${key}x`), bearer(user), { Authorization: key }]) {
      const res = await request(url).get('/api/v1/stats').set(headers).expect(401);
      expect(res.body).toMatchObject({ statusCode: 401, error: 'Unauthorized' });
      expect(JSON.stringify(res.body)).not.toContain(key.split('_')[2]);
    }
    expect(await suite.t.app.get(ApiKeysService).revoke(id)).toBe('revoked');
    await request(url).get('/api/v1/stats').set(auth(key)).expect(401);
  });

  it('is refused on every bearer route outside /api/v1, and ignored by public routes', async () => {
    const { url } = suite.t;
    const { key } = await suite.t.apiKey();
    for (const [method, path] of [
      ['get', '/auth/me'],
      ['get', '/auth/sessions'],
      ['post', '/auth/logout'],
      ['get', '/rooms/lobby/messages'],
    ] as const) {
      await request(url)[method](path).set(auth(key)).expect(401);
    }
    await request(url).get('/health').set(auth(key)).expect(200);
    expect((await refusal(connect(url, '/chat', { token: key }))).data?.code).toBe('TOKEN_INVALID');
    expect((await refusal(connect(url, '/live', { token: key }))).data?.code).toBe('TOKEN_INVALID');
  });

  it('grants each route to its scope only (scope × route)', async () => {
    const { url } = suite.t;
    const user = await register(url);
    const keys = Object.fromEntries(
      await Promise.all(API_KEY_SCOPES.map(async (scope) => [scope, (await suite.t.apiKey(`only ${scope}`, [scope])).key] as const)),
    ) as Record<ApiKeyScope, string>;
    const routes: Array<{ scope: ApiKeyScope; call: (key: string) => request.Test; ok: number }> = [
      { scope: 'messages', call: (k) => request(url).post('/api/v1/rooms/scopes/messages').set(auth(k)).send({ body: 'hi' }), ok: 201 },
      { scope: 'messages', call: (k) => request(url).delete('/api/v1/rooms/scopes/messages/01HZZZZZZZZZZZZZZZZZZZZZZZ').set(auth(k)), ok: 404 },
      {
        scope: 'notify',
        call: (k) => request(url).post(`/api/v1/users/${user.user.id}/notifications`).set(auth(k)).send({ type: 'x', data: 1 }),
        ok: 202,
      },
      { scope: 'notify', call: (k) => request(url).post('/api/v1/channels/public:scopes/publications').set(auth(k)).send({ data: 1 }), ok: 201 },
      {
        scope: 'notify',
        call: (k) => request(url).post('/api/v1/channels/private:scopes/tokens').set(auth(k)).send({ userId: user.user.id }),
        ok: 201,
      },
      { scope: 'users', call: (k) => request(url).put(`/api/v1/users/${user.user.id}/role`).set(auth(k)).send({ role: 'user' }), ok: 200 },
      { scope: 'users', call: (k) => request(url).delete(`/api/v1/users/${user.user.id}/block`).set(auth(k)), ok: 204 },
      { scope: 'users', call: (k) => request(url).put('/api/v1/users/01HZZZZZZZZZZZZZZZZZZZZZZZ/block').set(auth(k)).send({}), ok: 404 },
      { scope: 'read', call: (k) => request(url).get('/api/v1/rooms/scopes/presence').set(auth(k)), ok: 200 },
      { scope: 'read', call: (k) => request(url).get('/api/v1/rooms/scopes/messages').set(auth(k)), ok: 200 },
      { scope: 'read', call: (k) => request(url).get('/api/v1/stats').set(auth(k)), ok: 200 },
    ];
    const seen: string[] = [];
    const expected: string[] = [];
    for (const route of routes) {
      for (const scope of API_KEY_SCOPES) {
        const call = route.call(keys[scope]);
        const name = `${call.method} ${new URL(call.url).pathname} with ${scope}`;
        const res = await call;
        seen.push(`${name}: ${res.status}`);
        expected.push(`${name}: ${scope === route.scope ? route.ok : 403}`);
      }
    }
    expect(seen).toEqual(expected);
  });

  it('answers 400 for fields over 16 KiB (UTF-8 bytes of their JSON), bad names and unknown fields, storing nothing', async () => {
    const { url } = suite.t;
    const user = await register(url);
    const { key } = await suite.t.apiKey();
    const big = 'é'.repeat(8192); // 8192 characters, 16386 bytes as JSON
    await request(url).post(`/api/v1/users/${user.user.id}/notifications`).set(auth(key)).send({ type: 'big', data: big }).expect(400);
    await request(url)
      .post(`/api/v1/users/${user.user.id}/notifications`)
      .set(auth(key))
      .send({ type: 'big', data: 'é'.repeat(8000) })
      .expect(202);
    await request(url).post(`/api/v1/users/${user.user.id}/notifications`).set(auth(key)).send({ type: 'Bad Type', data: 1 }).expect(400);
    await request(url)
      .post('/api/v1/channels/public:big/publications')
      .set(auth(key))
      .send({ data: { v: big } })
      .expect(400);
    await request(url).post('/api/v1/channels/secret:big/publications').set(auth(key)).send({ data: 1 }).expect(400);
    await request(url).post('/api/v1/channels/public:b%20ig/publications').set(auth(key)).send({ data: 1 }).expect(400);
    await request(url).post('/api/v1/channels/public:big/publications').set(auth(key)).send({ data: 1, extra: true }).expect(400);
    await request(url).post('/api/v1/rooms/Bad Room/messages').set(auth(key)).send({ body: 'x' }).expect(400);
    await request(url)
      .post('/api/v1/rooms/big/messages')
      .set(auth(key))
      .send({ body: 'x'.repeat(4001) })
      .expect(400);
    const channel = await request(url).post('/api/v1/channels/public:big/publications').set(auth(key)).send({ data: 1 }).expect(201);
    expect(channel.body).toEqual({ channel: 'public:big', offset: 1 });
    const history = await request(url).get('/api/v1/rooms/big/messages').set(auth(key)).expect(200);
    expect(history.body.messages).toEqual([]);
  });

  it('tokens for private: channels only, ttl from 30s to 24h, for existing users', async () => {
    const { url } = suite.t;
    const user = await register(url);
    const { key } = await suite.t.apiKey();
    const path = '/api/v1/channels/private:t/tokens';
    const res = await request(url).post(path).set(auth(key)).send({ userId: user.user.id, ttl: '30s' }).expect(201);
    expect(Date.parse(res.body.expiresAt) - Date.now()).toBeGreaterThan(25_000);
    const day = await request(url).post(path).set(auth(key)).send({ userId: user.user.id, ttl: '24h' }).expect(201);
    expect(Date.parse(day.body.expiresAt) - Date.now()).toBeGreaterThan(23 * 3_600_000);
    for (const ttl of ['29s', '25h', '1y', 'soon']) await request(url).post(path).set(auth(key)).send({ userId: user.user.id, ttl }).expect(400);
    await request(url).post('/api/v1/channels/public:t/tokens').set(auth(key)).send({ userId: user.user.id }).expect(400);
    await request(url).post(path).set(auth(key)).send({ userId: 'nobody' }).expect(404);
  });
});

describe('server API: rate limit', () => {
  const suite = appPerSuite({ API_RATE_LIMIT: '3/10s' });

  it('answers 429 with Retry-After past API_RATE_LIMIT, per key', async () => {
    const { url } = suite.t;
    const { key } = await suite.t.apiKey();
    const other = await suite.t.apiKey();
    for (let i = 0; i < 3; i++) await request(url).get('/api/v1/stats').set(auth(key)).expect(200);
    const res = await request(url).get('/api/v1/stats').set(auth(key)).expect(429);
    expect(res.body).toMatchObject({ statusCode: 429, error: 'Too Many Requests' });
    expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    await request(url).get('/api/v1/stats').set(auth(other.key)).expect(200);
  });
});

describe('server API: messages, notifications, blocks, roles', () => {
  const suite = appPerSuite({ WS_RATE_LIMIT: '1000/1s' });

  it('posts as the key’s bot through the chat’s path: stored, delivered, idempotent per key, in history and since', async () => {
    const { url } = suite.t;
    const alice = await register(url, { displayName: 'Alice' });
    const { key, id } = await suite.t.apiKey('Weather bot', ['messages']);
    const socket = await connect(url, '/chat', { token: alice.accessToken });
    const joined = await emitAck<{ history: Array<{ id: string }> }>(socket, 'room:join', { room: 'bots' });
    const hello = await emitAck<{ id: string }>(socket, 'message:send', { room: 'bots', body: 'before the bot' });
    const live = nextEvent<{ id: string; sender: unknown }>(socket, 'message:new');
    const first = await request(url).post('/api/v1/rooms/bots/messages').set(auth(key)).send({ body: 'Sunny', clientMsgId: 'w-1' }).expect(201);
    const sender = { id: `bot:${id}`, displayName: 'Weather bot' };
    expect(first.body).toMatchObject({ room: 'bots', body: 'Sunny', sender, clientMsgId: 'w-1', deletedAt: null });
    await expect(live).resolves.toMatchObject({ id: first.body.id, sender });
    const repeat = await request(url)
      .post('/api/v1/rooms/bots/messages')
      .set(auth(key))
      .send({ body: 'Sunny again', clientMsgId: 'w-1' })
      .expect(200);
    expect(repeat.body).toEqual(first.body);
    // the same clientMsgId from another key is another message
    const other = await suite.t.apiKey('Other bot', ['messages']);
    const second = await request(url).post('/api/v1/rooms/bots/messages').set(auth(other.key)).send({ body: 'Rain', clientMsgId: 'w-1' }).expect(201);
    expect(second.body.id).not.toBe(first.body.id);
    const page = await request(url).get('/rooms/bots/messages').set(bearer(alice)).expect(200);
    expect(page.body.messages.map((m: { body: string; sender: unknown }) => [m.body, m.sender])).toEqual([
      ['before the bot', { id: alice.user.id, displayName: 'Alice' }],
      ['Sunny', sender],
      ['Rain', { id: `bot:${other.id}`, displayName: 'Other bot' }],
    ]);
    expect(joined.ok && hello.ok).toBe(true);
    const resumed = await emitAck<{ history: Array<{ sender: unknown }> }>(socket, 'room:join', {
      room: 'bots',
      since: hello.ok ? hello.data.id : '',
    });
    expect(resumed.ok && resumed.data.history.map((m) => m.sender)).toEqual([sender, { id: `bot:${other.id}`, displayName: 'Other bot' }]);
  });

  it('deletes any message: a tombstone stays, message:deleted goes to the room, 404 for unknown or other rooms', async () => {
    const { url } = suite.t;
    const alice = await register(url);
    const { key } = await suite.t.apiKey('Moderator', ['messages', 'read']);
    const socket = await connect(url, '/chat', { token: alice.accessToken });
    await emitAck(socket, 'room:join', { room: 'moderated' });
    const sent = await emitAck<{ id: string }>(socket, 'message:send', { room: 'moderated', body: 'something rude' });
    const id = sent.ok ? sent.data.id : '';
    await request(url).delete(`/api/v1/rooms/other/messages/${id}`).set(auth(key)).expect(404);
    const deleted = nextEvent(socket, 'message:deleted');
    await request(url).delete(`/api/v1/rooms/moderated/messages/${id}`).set(auth(key)).expect(204);
    await expect(deleted).resolves.toEqual({ room: 'moderated', id });
    const page = await request(url).get('/api/v1/rooms/moderated/messages').set(auth(key)).expect(200);
    expect(page.body.messages).toEqual([
      expect.objectContaining({ id, body: '', deletedAt: expect.any(String), sender: expect.objectContaining({ id: alice.user.id }) }),
    ]);
    await request(url).delete('/api/v1/rooms/moderated/messages/01HZZZZZZZZZZZZZZZZZZZZZZZ').set(auth(key)).expect(404);
    // DM history is readable with the read scope
    const bob = await register(url);
    await emitAck(socket, 'dm:send', { to: bob.user.id, body: 'private words' });
    const dm = [alice.user.id, bob.user.id].sort().join(':');
    const dmPage = await request(url).get(`/api/v1/rooms/dm:${dm}/messages`).set(auth(key)).expect(200);
    expect(dmPage.body.messages.map((m: { body: string }) => m.body)).toEqual(['private words']);
  });

  it('notifies every socket of the user on /chat and /live, and nobody else', async () => {
    const { url } = suite.t;
    const alice = await register(url);
    const bob = await register(url);
    const { key } = await suite.t.apiKey('Notifier', ['notify']);
    const chat = await connect(url, '/chat', { token: alice.accessToken });
    const live = await connect(url, '/live', { token: alice.accessToken });
    const bobs = await connect(url, '/chat', { token: bob.accessToken });
    const onChat = nextEvent<{ type: string; data: unknown; at: string }>(chat, 'notification');
    const onLive = nextEvent(live, 'notification');
    const notBob = receives(bobs, 'notification', 500);
    await request(url)
      .post(`/api/v1/users/${alice.user.id}/notifications`)
      .set(auth(key))
      .send({ type: 'order.shipped', data: { order: 42 } })
      .expect(202);
    const note = await onChat;
    expect(note).toMatchObject({ type: 'order.shipped', data: { order: 42 } });
    expect(Math.abs(Date.parse(note.at) - Date.now())).toBeLessThan(5000);
    await expect(onLive).resolves.toEqual(note);
    expect(await notBob).toBe(false);
    await request(url).post('/api/v1/users/01HZZZZZZZZZZZZZZZZZZZZZZZ/notifications').set(auth(key)).send({ type: 'x', data: null }).expect(404);
  });

  it('blocks a user everywhere (sessions, login, refresh, handshake, auth:refresh) until unblocked', async () => {
    const { url } = suite.t;
    const carol = await register(url);
    const second = await login(url, carol.user.email);
    const { key } = await suite.t.apiKey('Trust and safety', ['users']);
    const chat = await connect(url, '/chat', { token: carol.accessToken });
    const live = await connect(url, '/live', { token: second.accessToken });
    const revoked = nextEvent(chat, 'session:revoked');
    const revokedLive = nextEvent(live, 'session:revoked');
    await request(url).put(`/api/v1/users/${carol.user.id}/block`).set(auth(key)).send({ reason: 'spam' }).expect(204);
    await expect(revoked).resolves.toEqual({ reason: 'blocked' });
    await expect(revokedLive).resolves.toEqual({ reason: 'blocked' });
    await request(url).get('/auth/me').set(bearer(carol)).expect(401);
    const refused = await request(url).post('/auth/login').send({ email: carol.user.email, password: 'correct horse battery' }).expect(401);
    expect(refused.body.message).toBe('Account blocked');
    // a wrong password still says nothing about the block
    const wrong = await request(url).post('/auth/login').send({ email: carol.user.email, password: 'wrong password!' }).expect(401);
    expect(wrong.body.message).toBe('Invalid credentials');
    await request(url).post('/auth/refresh').send({ refreshToken: second.refreshToken }).expect(401);
    expect((await refusal(connect(url, '/chat', { token: carol.accessToken }))).data?.code).toBe('SESSION_REVOKED');
    expect((await refusal(connect(url, '/live', { token: second.accessToken }))).data?.code).toBe('SESSION_REVOKED');
    await request(url).delete(`/api/v1/users/${carol.user.id}/block`).set(auth(key)).expect(204);
    const back = await login(url, carol.user.email);
    await request(url).get('/auth/me').set(bearer(back)).expect(200);
    await connect(url, '/chat', { token: back.accessToken });
    await request(url).put('/api/v1/users/nobody/block').set(auth(key)).send({}).expect(404);
    await request(url).put(`/api/v1/users/${carol.user.id}/block`).set(auth(key)).send({ reason: '' }).expect(400);
  });

  it('refuses a blocked user’s tokens whose session did not end (a login in flight): REST, handshake, auth:refresh', async () => {
    const { url } = suite.t;
    const dave = await register(url);
    const other = await login(url, dave.user.email);
    const socket = await connect(url, '/live', { token: dave.accessToken });
    // only the blocklist, as for a session created while the block ran (or an external token)
    await suite.t.app.get(BlocklistService).set(dave.user.id, true);
    await request(url).get('/auth/me').set(bearer(other)).expect(401);
    expect((await refusal(connect(url, '/chat', { token: other.accessToken }))).data?.code).toBe('SESSION_REVOKED');
    // every event of a blocked user's socket is refused (the guard checks from memory), and the socket is closed
    const outcome = await emitAck(socket, 'auth:refresh', { token: other.accessToken }).then(
      (ack) => (ack.ok ? 'accepted' : ack.error.code),
      () => 'disconnected',
    );
    expect(['SESSION_REVOKED', 'disconnected']).toContain(outcome);
    expect(suite.t.app.get(AccessAuthService).isBlocked(dave.user.id)).toBe(true);
    await suite.t.app.get(BlocklistService).set(dave.user.id, false);
    await request(url).get('/auth/me').set(bearer(other)).expect(200);
    expect(suite.t.app.get(AccessAuthService).isBlocked(dave.user.id)).toBe(false);
  });

  it('changes roles: tokens issued afterwards carry it', async () => {
    const { url } = suite.t;
    const erin = await register(url);
    const { key } = await suite.t.apiKey('Admin tool', ['users']);
    const res = await request(url).put(`/api/v1/users/${erin.user.id}/role`).set(auth(key)).send({ role: 'admin' }).expect(200);
    expect(res.body).toMatchObject({ id: erin.user.id, role: 'admin' });
    expect(res.body).not.toHaveProperty('passwordHash');
    expect((await refusal(connect(url, '/dashboard', { token: erin.accessToken }))).data?.code).toBe('FORBIDDEN');
    await connect(url, '/dashboard', { token: (await login(url, erin.user.email)).accessToken });
    await request(url).put(`/api/v1/users/${erin.user.id}/role`).set(auth(key)).send({ role: 'root' }).expect(400);
    await request(url).put('/api/v1/users/nobody/role').set(auth(key)).send({ role: 'user' }).expect(404);
  });

  it('reads presence and stats', async () => {
    const { url } = suite.t;
    const frank = await register(url, { displayName: 'Frank' });
    const { key } = await suite.t.apiKey('Reader', ['read']);
    const socket = await connect(url, '/chat', { token: frank.accessToken });
    await emitAck(socket, 'room:join', { room: 'watched' });
    const presence = await request(url).get('/api/v1/rooms/watched/presence').set(auth(key)).expect(200);
    expect(presence.body).toEqual({ online: [{ id: frank.user.id, displayName: 'Frank' }] });
    const stats = await request(url).get('/api/v1/stats').set(auth(key)).expect(200);
    expect(stats.body).toMatchObject({ connections: expect.any(Number), onlineUsers: expect.any(Number), messagesPerMinute: expect.any(Number) });
    expect(stats.body.connections).toBeGreaterThanOrEqual(1);
    expect(stats.body.nodes).toHaveLength(1);
    await request(url).get('/api/v1/rooms/Not Valid/presence').set(auth(key)).expect(400);
  });
});
