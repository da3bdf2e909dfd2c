import request from 'supertest';
import { AuthResult, closeAllSockets, connect, emitAck, login, nextEvent, receives, register, sleep } from './support/clients';
import { DATABASES, startApp, testEnv, TestApp } from './support/app';

const bearer = (a: AuthResult) => ({ Authorization: `Bearer ${a.accessToken}` });

describe.each(DATABASES)('socket lifecycle on $name', ({ url: databaseUrl }) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp(testEnv(await databaseUrl(), { JWT_ACCESS_TTL: '2s', WS_AUTH_GRACE: '1s' }));
  });
  afterAll(async () => {
    closeAllSockets();
    await t.close();
  });

  it('expires: auth:expired once, TOKEN_EXPIRED on events, auth:refresh keeps the rooms', async () => {
    const a = await register(t.url);
    const b = await register(t.url);
    const socket = await connect(t.url, '/chat', { token: a.accessToken });
    expect(await emitAck(socket, 'room:join', { room: 'lifecycle' })).toMatchObject({ ok: true });
    const expired = nextEvent(socket, 'auth:expired', 4000);
    let expiredCount = 0;
    socket.on('auth:expired', () => expiredCount++);
    await expired;
    expect(await emitAck(socket, 'presence:list', { room: 'lifecycle' })).toEqual({
      ok: false,
      error: { code: 'TOKEN_EXPIRED', message: expect.any(String) },
    });
    const fresh = await request(t.url).post('/auth/refresh').send({ refreshToken: a.refreshToken }).expect(200);
    const refreshed = await emitAck<{ expiresAt: string }>(socket, 'auth:refresh', { token: fresh.body.accessToken });
    expect(refreshed.ok).toBe(true);
    if (refreshed.ok) expect(Date.parse(refreshed.data.expiresAt)).toBeGreaterThan(Date.now());
    await sleep(1100); // past the grace period: still connected
    expect(socket.connected).toBe(true);
    expect(expiredCount).toBe(1);
    // still in the room: a message from someone else reaches it
    const bFresh = await login(t.url, b.user.email);
    const other = await connect(t.url, '/chat', { token: bFresh.accessToken });
    expect(await emitAck(other, 'room:join', { room: 'lifecycle' })).toMatchObject({ ok: true });
    const incoming = nextEvent<{ body: string }>(socket, 'message:new');
    expect(await emitAck(other, 'message:send', { room: 'lifecycle', body: 'still here?' })).toMatchObject({ ok: true });
    await expect(incoming).resolves.toMatchObject({ body: 'still here?' });
  });

  it('disconnects an expired socket that does not refresh within the grace period', async () => {
    const a = await register(t.url);
    const socket = await connect(t.url, '/chat', { token: a.accessToken });
    await nextEvent(socket, 'auth:expired', 4000);
    await nextEvent(socket, 'disconnect', 2500);
    expect(socket.connected).toBe(false);
  });

  it('refuses auth:refresh with another user’s token (FORBIDDEN) or garbage (VALIDATION_FAILED)', async () => {
    const a = await register(t.url);
    const b = await register(t.url);
    const socket = await connect(t.url, '/chat', { token: a.accessToken });
    expect(await emitAck(socket, 'auth:refresh', { token: b.accessToken })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    expect(await emitAck(socket, 'auth:refresh', { token: 'garbage' })).toMatchObject({ ok: false, error: { code: 'VALIDATION_FAILED' } });
    expect(await emitAck(socket, 'auth:refresh', {})).toMatchObject({ ok: false, error: { code: 'VALIDATION_FAILED' } });
  });
});

describe.each(DATABASES)('session:revoked on $name', ({ url: databaseUrl }) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp(testEnv(await databaseUrl()));
  });
  afterAll(async () => {
    closeAllSockets();
    await t.close();
  });

  /** Two sessions of one user, each with a socket; `end` ends the first session somehow. */
  async function expectRevoked(end: (first: AuthResult, second: AuthResult) => Promise<void>, reason: string): Promise<void> {
    const first = await register(t.url);
    const second = await login(t.url, first.user.email);
    const doomed = await connect(t.url, '/chat', { token: first.accessToken });
    const survivor = await connect(t.url, '/chat', { token: second.accessToken });
    const revoked = nextEvent<{ reason: string }>(doomed, 'session:revoked');
    const disconnected = nextEvent(doomed, 'disconnect');
    await end(first, second);
    await expect(revoked).resolves.toEqual({ reason });
    await disconnected;
    expect(await receives(survivor, 'session:revoked', 300)).toBe(false);
    expect(survivor.connected).toBe(true);
    expect(await emitAck(survivor, 'room:join', { room: 'survivors' })).toMatchObject({ ok: true });
  }

  it('after logout', () =>
    expectRevoked(async (first) => {
      await request(t.url).post('/auth/logout').set(bearer(first)).expect(204);
    }, 'logout'));

  it('after a password change (other sessions)', () =>
    expectRevoked(async (first, second) => {
      await request(t.url)
        .patch('/auth/password')
        .set(bearer(second))
        .send({ currentPassword: 'correct horse battery', newPassword: 'another good password' })
        .expect(204);
    }, 'password_changed'));

  it('after refresh-token reuse', () =>
    expectRevoked(async (first) => {
      await request(t.url).post('/auth/refresh').send({ refreshToken: first.refreshToken }).expect(200);
      await request(t.url).post('/auth/refresh').send({ refreshToken: first.refreshToken }).expect(401);
    }, 'refresh_reuse'));

  it('after the session is deleted from another device', () =>
    expectRevoked(async (first, second) => {
      await request(t.url)
        .delete(`/auth/sessions/${sessionId(first)}`)
        .set(bearer(second))
        .expect(204);
    }, 'session_deleted'));
});

function sessionId(auth: AuthResult): string {
  const payload = JSON.parse(Buffer.from(auth.accessToken.split('.')[1], 'base64url').toString()) as { sid: string };
  return payload.sid;
}
