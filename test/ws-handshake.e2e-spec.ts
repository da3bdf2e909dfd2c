import jwt from 'jsonwebtoken';
import request from 'supertest';
import { closeAllSockets, connect, emitAck, login, refusal, register, sleep } from './support/clients';
import { DATABASES, startApp, testEnv, TestApp } from './support/app';

const sqlite = DATABASES[0];

describe('Socket.IO handshake', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp(testEnv(await sqlite.url(), { CORS_ORIGINS: 'https://good.example' }));
  });
  afterAll(async () => {
    closeAllSockets();
    await t.close();
  });

  it('accepts the token as auth.token and as an Authorization header', async () => {
    const a = await register(t.url);
    const viaAuth = await connect(t.url, '/chat', { token: a.accessToken });
    const viaHeader = await connect(t.url, '/chat', { header: a.accessToken });
    expect(viaAuth.connected && viaHeader.connected).toBe(true);
    expect(await emitAck(viaHeader, 'presence:list', { room: 'general' })).toEqual({ ok: true, data: { online: [] } });
  });

  it('works over the polling transport too', async () => {
    const a = await register(t.url);
    const socket = await connect(t.url, '/chat', { token: a.accessToken, transports: ['polling'] });
    expect(await emitAck(socket, 'room:join', { room: 'polling' })).toMatchObject({ ok: true });
  });

  it('refuses a missing token with TOKEN_MISSING', async () => {
    expect((await refusal(connect(t.url, '/chat'))).data?.code).toBe('TOKEN_MISSING');
  });

  it('refuses garbage, a foreign signature and a refresh token with TOKEN_INVALID', async () => {
    const a = await register(t.url);
    const forged = jwt.sign({ sub: a.user.id, sid: 'x', typ: 'access', role: 'admin', name: 'x', ev: true }, 'another-secret-that-is-long-enough-123', {
      issuer: 'parley',
      audience: 'parley-clients',
      expiresIn: 60,
    });
    for (const token of ['not-a-jwt', forged, a.refreshToken]) {
      expect((await refusal(connect(t.url, '/chat', { token }))).data?.code).toBe('TOKEN_INVALID');
    }
  });

  it('refuses a token in the query string even when it is valid', async () => {
    const a = await register(t.url);
    const error = await refusal(connect(t.url, '/chat', { query: { token: a.accessToken } }));
    expect(error.data?.code).toBe('TOKEN_INVALID');
    expect(error.data?.message).not.toContain(a.accessToken);
  });

  it('refuses an expired token with TOKEN_EXPIRED', async () => {
    const a = await register(t.url);
    const claims = jwt.decode(a.accessToken) as Record<string, unknown>;
    const expired = jwt.sign({ ...claims, exp: Math.floor(Date.now() / 1000) - 5, iat: Math.floor(Date.now() / 1000) - 60 }, t.env.JWT_ACCESS_SECRET as string);
    expect((await refusal(connect(t.url, '/chat', { token: expired }))).data?.code).toBe('TOKEN_EXPIRED');
  });

  it('refuses the token of an ended session with SESSION_REVOKED', async () => {
    const a = await register(t.url);
    await request(t.url).post('/auth/logout').set('Authorization', `Bearer ${a.accessToken}`).expect(204);
    expect((await refusal(connect(t.url, '/chat', { token: a.accessToken }))).data?.code).toBe('SESSION_REVOKED');
  });

  it('lets only admins into /dashboard (FORBIDDEN otherwise)', async () => {
    const a = await register(t.url);
    expect((await refusal(connect(t.url, '/dashboard', { token: a.accessToken }))).data?.code).toBe('FORBIDDEN');
    await t.makeAdmin(a.user.email);
    const admin = await login(t.url, a.user.email);
    const socket = await connect(t.url, '/dashboard', { token: admin.accessToken });
    expect(socket.connected).toBe(true);
  });

  it('refuses a foreign browser origin and accepts a listed one', async () => {
    const a = await register(t.url);
    const error = await refusal(connect(t.url, '/chat', { token: a.accessToken, origin: 'https://evil.example' }));
    expect(error.data?.code).toBe('ORIGIN_NOT_ALLOWED');
    const ok = await connect(t.url, '/chat', { token: a.accessToken, origin: 'https://good.example' });
    expect(ok.connected).toBe(true);
  });
});

describe('Socket.IO handshake limits', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp(testEnv(await sqlite.url(), { WS_CONNECT_RATE_LIMIT: '3/10s', WS_MAX_CONNECTIONS_PER_USER: '2' }));
  });
  afterAll(async () => {
    closeAllSockets();
    await t.close();
  });

  it('caps sockets per user with TOO_MANY_CONNECTIONS and frees the slot on disconnect', async () => {
    const a = await register(t.url);
    const first = await connect(t.url, '/chat', { token: a.accessToken });
    await connect(t.url, '/chat', { token: a.accessToken });
    expect((await refusal(connect(t.url, '/chat', { token: a.accessToken }))).data?.code).toBe('TOO_MANY_CONNECTIONS');
    first.close();
    await sleep(100);
    // The 4th handshake from this IP within the window of 3 is rate limited.
    expect((await refusal(connect(t.url, '/chat', { token: a.accessToken }))).data?.code).toBe('RATE_LIMITED');
  });
});

describe('Socket.IO handshake slot release', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp(testEnv(await sqlite.url(), { WS_MAX_CONNECTIONS_PER_USER: '1' }));
  });
  afterAll(async () => {
    closeAllSockets();
    await t.close();
  });

  it('gives the slot back once the socket is gone', async () => {
    const a = await register(t.url);
    const first = await connect(t.url, '/chat', { token: a.accessToken });
    expect((await refusal(connect(t.url, '/chat', { token: a.accessToken }))).data?.code).toBe('TOO_MANY_CONNECTIONS');
    first.close();
    await sleep(150);
    const again = await connect(t.url, '/chat', { token: a.accessToken });
    expect(again.connected).toBe(true);
    // The cap is per namespace: /dashboard has its own count (and refuses non-admins anyway).
  });
});
