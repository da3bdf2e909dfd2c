import jwt from 'jsonwebtoken';
import request from 'supertest';
import { connect, emitAck, login, refusal, register, sleep } from './support/clients';
import { appPerSuite } from './support/app';

describe('Socket.IO handshake', () => {
  const suite = appPerSuite({ CORS_ORIGINS: 'https://good.example' });

  it('accepts the token as auth.token and as an Authorization header', async () => {
    const a = await register(suite.t.url);
    const viaAuth = await connect(suite.t.url, '/chat', { token: a.accessToken });
    const viaHeader = await connect(suite.t.url, '/chat', { header: a.accessToken });
    expect(viaAuth.connected && viaHeader.connected).toBe(true);
    expect(await emitAck(viaHeader, 'presence:list', { room: 'general' })).toEqual({ ok: true, data: { online: [] } });
  });

  it('works over the polling transport too', async () => {
    const a = await register(suite.t.url);
    const socket = await connect(suite.t.url, '/chat', { token: a.accessToken, transports: ['polling'] });
    expect(await emitAck(socket, 'room:join', { room: 'polling' })).toMatchObject({ ok: true });
  });

  it('answers long-polling requests from any origin with CORS headers (the handshake decides on the origin)', async () => {
    const origin = 'https://elsewhere.example';
    const preflight = await request(suite.t.url).options('/socket.io/').query({ EIO: '4', transport: 'polling' }).set('Origin', origin);
    expect(preflight.status).toBe(204);
    expect(preflight.headers['access-control-allow-origin']).toBe(origin);
    const open = await request(suite.t.url).get('/socket.io/').query({ EIO: '4', transport: 'polling' }).set('Origin', origin).expect(200);
    expect(open.headers['access-control-allow-origin']).toBe(origin);
    expect(open.headers['access-control-allow-credentials']).toBeUndefined();
    // a browser on it is then refused by the handshake, in words it can show
    expect((await refusal(connect(suite.t.url, '/chat', { origin, transports: ['polling'] }))).data?.code).toBe('ORIGIN_NOT_ALLOWED');
  });

  it('refuses a missing token with TOKEN_MISSING', async () => {
    expect((await refusal(connect(suite.t.url, '/chat'))).data?.code).toBe('TOKEN_MISSING');
  });

  it('refuses garbage, a foreign signature and a refresh token with TOKEN_INVALID', async () => {
    const a = await register(suite.t.url);
    const forged = jwt.sign(
      { sub: a.user.id, sid: 'x', typ: 'access', role: 'admin', name: 'x', ev: true },
      'another-secret-that-is-long-enough-123',
      {
        issuer: 'parley',
        audience: 'parley-clients',
        expiresIn: 60,
      },
    );
    for (const token of ['not-a-jwt', forged, a.refreshToken]) {
      expect((await refusal(connect(suite.t.url, '/chat', { token }))).data?.code).toBe('TOKEN_INVALID');
    }
  });

  it('refuses a token in the query string even when it is valid', async () => {
    const a = await register(suite.t.url);
    const error = await refusal(connect(suite.t.url, '/chat', { query: { token: a.accessToken } }));
    expect(error.data?.code).toBe('TOKEN_INVALID');
    expect(error.data?.message).not.toContain(a.accessToken);
  });

  it('refuses an expired token with TOKEN_EXPIRED', async () => {
    const a = await register(suite.t.url);
    const claims = jwt.decode(a.accessToken) as Record<string, unknown>;
    const expired = jwt.sign(
      { ...claims, exp: Math.floor(Date.now() / 1000) - 5, iat: Math.floor(Date.now() / 1000) - 60 },
      suite.t.env.JWT_ACCESS_SECRET as string,
    );
    expect((await refusal(connect(suite.t.url, '/chat', { token: expired }))).data?.code).toBe('TOKEN_EXPIRED');
  });

  it('refuses the token of an ended session with SESSION_REVOKED', async () => {
    const a = await register(suite.t.url);
    await request(suite.t.url).post('/auth/logout').set('Authorization', `Bearer ${a.accessToken}`).expect(204);
    expect((await refusal(connect(suite.t.url, '/chat', { token: a.accessToken }))).data?.code).toBe('SESSION_REVOKED');
  });

  it('lets only admins into /dashboard (FORBIDDEN otherwise)', async () => {
    const a = await register(suite.t.url);
    expect((await refusal(connect(suite.t.url, '/dashboard', { token: a.accessToken }))).data?.code).toBe('FORBIDDEN');
    await suite.t.makeAdmin(a.user.email);
    const admin = await login(suite.t.url, a.user.email);
    const socket = await connect(suite.t.url, '/dashboard', { token: admin.accessToken });
    expect(socket.connected).toBe(true);
  });

  it('refuses a foreign browser origin and accepts a listed one', async () => {
    const a = await register(suite.t.url);
    const error = await refusal(connect(suite.t.url, '/chat', { token: a.accessToken, origin: 'https://evil.example' }));
    expect(error.data?.code).toBe('ORIGIN_NOT_ALLOWED');
    const ok = await connect(suite.t.url, '/chat', { token: a.accessToken, origin: 'https://good.example' });
    expect(ok.connected).toBe(true);
  });
});

describe('Socket.IO handshake limits', () => {
  const suite = appPerSuite({ WS_CONNECT_RATE_LIMIT: '3/10s', WS_MAX_CONNECTIONS_PER_USER: '2' });

  it('caps sockets per user with TOO_MANY_CONNECTIONS and frees the slot on disconnect', async () => {
    const a = await register(suite.t.url);
    const first = await connect(suite.t.url, '/chat', { token: a.accessToken });
    await connect(suite.t.url, '/chat', { token: a.accessToken });
    expect((await refusal(connect(suite.t.url, '/chat', { token: a.accessToken }))).data?.code).toBe('TOO_MANY_CONNECTIONS');
    first.close();
    await sleep(100);
    // The 4th handshake from this IP within the window of 3 is rate limited.
    expect((await refusal(connect(suite.t.url, '/chat', { token: a.accessToken }))).data?.code).toBe('RATE_LIMITED');
  });
});

describe('Socket.IO handshake slot release', () => {
  const suite = appPerSuite({ WS_MAX_CONNECTIONS_PER_USER: '1' });

  it('gives the slot back once the socket is gone', async () => {
    const a = await register(suite.t.url);
    const first = await connect(suite.t.url, '/chat', { token: a.accessToken });
    expect((await refusal(connect(suite.t.url, '/chat', { token: a.accessToken }))).data?.code).toBe('TOO_MANY_CONNECTIONS');
    first.close();
    await sleep(150);
    const again = await connect(suite.t.url, '/chat', { token: a.accessToken });
    expect(again.connected).toBe(true);
    // The cap is per namespace: /dashboard has its own count (and refuses non-admins anyway).
  });
});
