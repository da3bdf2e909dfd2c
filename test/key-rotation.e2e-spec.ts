import request from 'supertest';
import type { Socket } from 'socket.io-client';
import { AuthResult, closeAllSockets, connect, emitAck, register } from './support/clients';
import { DATABASES, Env, startApp, testEnv, TestApp } from './support/app';
import { decodeParts } from './support/oidc';

const OLD = { access: 'old-access-secret-0123456789abcdefghijkl', refresh: 'old-refresh-secret-0123456789abcdefghijk' };
const NEW = { access: 'new-access-secret-0123456789abcdefghijkl', refresh: 'new-refresh-secret-0123456789abcdefghijk' };

/** The configuration of each step of the rotation in README "Rotating the JWT secrets". */
const STEPS: Record<string, Env> = {
  before: { JWT_ACCESS_SECRET: OLD.access, JWT_REFRESH_SECRET: OLD.refresh },
  // 1. every node learns the new secrets (verify only) and still signs with the old ones
  introduce: {
    JWT_ACCESS_SECRET: OLD.access,
    JWT_ACCESS_SECRET_PREVIOUS: NEW.access,
    JWT_REFRESH_SECRET: OLD.refresh,
    JWT_REFRESH_SECRET_PREVIOUS: NEW.refresh,
  },
  // 2. every node signs with the new secrets and still verifies the old ones
  switch: {
    JWT_ACCESS_SECRET: NEW.access,
    JWT_ACCESS_SECRET_PREVIOUS: OLD.access,
    JWT_REFRESH_SECRET: NEW.refresh,
    JWT_REFRESH_SECRET_PREVIOUS: OLD.refresh,
  },
  // 3. after JWT_REFRESH_TTL (for the refresh secret; JWT_ACCESS_TTL for the access one), the old ones go
  retire: { JWT_ACCESS_SECRET: NEW.access, JWT_REFRESH_SECRET: NEW.refresh },
};

describe.each(DATABASES)('rotating both JWT secrets on two nodes of one $name database', ({ url: databaseUrl }) => {
  const nodes: Record<'a' | 'b', TestApp | null> = { a: null, b: null };
  let database: string;
  let user: AuthResult;
  /** Every socket the user holds; none may ever see session:revoked. */
  const revoked: string[] = [];
  const sockets: Record<'a' | 'b', Socket | null> = { a: null, b: null };
  const redis = process.env.TEST_REDIS_URL
    ? { REDIS_URL: process.env.TEST_REDIS_URL, REDIS_KEY_PREFIX: `parley-rotation-${process.pid}-${Date.now().toString(36)}:` }
    : {};

  const node = (name: 'a' | 'b') => nodes[name] as TestApp;
  const start = async (name: 'a' | 'b', step: keyof typeof STEPS) => {
    nodes[name] = await startApp(testEnv(database, { ...redis, NODE_ID: `node-${name}`, ...STEPS[step] }));
  };
  /** Restarts one node with the step's configuration; the other node and its socket run on. */
  const restart = async (name: 'a' | 'b', step: keyof typeof STEPS, token: string) => {
    const other = name === 'a' ? 'b' : 'a';
    sockets[name]?.close();
    await node(name).close();
    await start(name, step);
    // the client reconnects with the token it holds
    sockets[name] = await watch(await connect(node(name).url, '/chat', { token }));
    expect(await emitAck(sockets[name] as Socket, 'room:join', { room: 'rotation' })).toMatchObject({ ok: true });
    expect(sockets[other]?.connected).toBe(true);
  };
  const watch = (socket: Socket) => {
    socket.on('session:revoked', ({ reason }: { reason: string }) => revoked.push(reason));
    return socket;
  };
  const me = (name: 'a' | 'b', token: string) => request(node(name).url).get('/auth/me').set('Authorization', `Bearer ${token}`);
  const refresh = async (name: 'a' | 'b', refreshToken: string) =>
    (await request(node(name).url).post('/auth/refresh').send({ refreshToken }).expect(200)).body as AuthResult;
  const sessions = async (name: 'a' | 'b', token: string) =>
    (await request(node(name).url).get('/auth/sessions').set('Authorization', `Bearer ${token}`).expect(200)).body as Array<{ id: string }>;
  /** A message from one node's socket reaches the other node's socket (same database). */
  const stillChatting = async () => {
    for (const [from, to] of [
      ['a', 'b'],
      ['b', 'a'],
    ] as const) {
      const sent = await emitAck<{ id: string }>(sockets[from] as Socket, 'message:send', { room: 'rotation', body: `from ${from}` });
      expect(sent.ok).toBe(true);
      const history = await emitAck<{ messages: Array<{ body: string }> }>(sockets[to] as Socket, 'message:history', { room: 'rotation' });
      expect(history.ok && history.data.messages.at(-1)?.body).toBe(`from ${from}`);
    }
  };

  beforeAll(async () => {
    database = await databaseUrl();
    await start('a', 'before');
    await start('b', 'before');
  });
  afterAll(async () => {
    closeAllSockets();
    await nodes.a?.close();
    await nodes.b?.close();
  });

  it('ends no session and refuses no socket at any step', async () => {
    user = await register(node('a').url);
    const oldKid = decodeParts(user.accessToken).header.kid;
    for (const name of ['a', 'b'] as const) {
      sockets[name] = watch(await connect(node(name).url, '/chat', { token: user.accessToken }));
      await emitAck(sockets[name] as Socket, 'room:join', { room: 'rotation' });
    }
    const [session] = await sessions('a', user.accessToken);

    // 1. introduce, node by node: tokens signed with the old secrets keep working everywhere
    await restart('b', 'introduce', user.accessToken);
    await restart('a', 'introduce', user.accessToken);
    await stillChatting();

    // 2. switch, node by node
    await restart('a', 'switch', user.accessToken); // an old-key access token reconnects
    const rotated = await refresh('a', user.refreshToken); // an old-key refresh token rotates
    expect(decodeParts(rotated.accessToken).header.kid).not.toBe(oldKid);
    expect(decodeParts(rotated.refreshToken).header.kid).not.toBe(decodeParts(user.refreshToken).header.kid);
    // node b, still on step 1, already accepts the new-key tokens: on REST and as auth:refresh
    await me('b', rotated.accessToken).expect(200);
    expect(await emitAck(sockets.b as Socket, 'auth:refresh', { token: rotated.accessToken })).toMatchObject({ ok: true });
    expect(await emitAck(sockets.a as Socket, 'auth:refresh', { token: rotated.accessToken })).toMatchObject({ ok: true });
    await restart('b', 'switch', rotated.accessToken);
    await me('b', user.accessToken).expect(200); // the old access token until it expires
    await stillChatting();
    const again = await refresh('b', rotated.refreshToken);

    // the same session all along, on both nodes
    for (const name of ['a', 'b'] as const) expect((await sessions(name, again.accessToken)).map((s) => s.id)).toEqual([session.id]);
    expect(revoked).toEqual([]);

    // 3. retire (once JWT_ACCESS_TTL / JWT_REFRESH_TTL have passed): old-key tokens are refused, new ones are not
    await restart('a', 'retire', again.accessToken);
    await restart('b', 'retire', again.accessToken);
    for (const name of ['a', 'b'] as const) {
      expect((await me(name, user.accessToken).expect(401)).body.message).toBe('Invalid access token');
      await me(name, again.accessToken).expect(200);
    }
    const refused = await request(node('a').url).post('/auth/refresh').send({ refreshToken: user.refreshToken }).expect(401);
    expect(refused.body.message).toBe('Invalid refresh token');
    await refresh('b', again.refreshToken);
    await stillChatting();
    expect(revoked).toEqual([]);
  });
});
