import request from 'supertest';
import { AuthResult, login, PASSWORD, register, uniqueEmail } from './support/clients';
import { DATABASES, startApp, testEnv, TestApp } from './support/app';

const bearer = (a: AuthResult) => ({ Authorization: `Bearer ${a.accessToken}` });
const SECRET_KEYS = /password|hash|secret|sec"/i;

/** Every error, whatever its status, has Nest's three fields. */
function expectErrorShape(body: unknown, statusCode: number): void {
  expect(body).toEqual(expect.objectContaining({ statusCode, message: expect.anything(), error: expect.any(String) }));
}

describe.each(DATABASES)('REST auth on $name', ({ url: databaseUrl }) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp(testEnv(await databaseUrl()));
  });
  afterAll(() => t.close());

  describe('register', () => {
    it('answers 201 with the AuthResponse and nothing secret', async () => {
      const email = uniqueEmail('Mixed.Case').replace('mixed', 'MiXed');
      const res = await request(t.url)
        .post('/auth/register')
        .send({ email: `  ${email}  `, password: PASSWORD, displayName: 'Ada' })
        .expect(201);
      expect(res.body).toEqual({
        user: {
          id: expect.any(String),
          email: email.toLowerCase(),
          displayName: 'Ada',
          role: 'user',
          emailVerified: false,
          twoFactorEnabled: false,
          createdAt: expect.any(String),
        },
        accessToken: expect.any(String),
        refreshToken: expect.any(String),
        tokenType: 'Bearer',
        expiresIn: 900,
      });
      expect(new Date(res.body.user.createdAt).toISOString()).toBe(res.body.user.createdAt);
      expect(Object.keys(res.body.user).join()).not.toMatch(SECRET_KEYS);
    });

    it('refuses a case-different duplicate with 409', async () => {
      const email = uniqueEmail('dup');
      await register(t.url, { email });
      const res = await request(t.url)
        .post('/auth/register')
        .send({ email: email.toUpperCase(), password: PASSWORD, displayName: 'Again' })
        .expect(409);
      expectErrorShape(res.body, 409);
    });

    it('counts the password in UTF-8 bytes: 72 is fine, 73 is not', async () => {
      const seventyTwo = 'é'.repeat(36);
      expect(Buffer.byteLength(seventyTwo)).toBe(72);
      const ok = await register(t.url, { password: seventyTwo });
      await login(t.url, ok.user.email, seventyTwo);
      const res = await request(t.url)
        .post('/auth/register')
        .send({ email: uniqueEmail(), password: `${seventyTwo}a`, displayName: 'x' })
        .expect(400);
      expect(res.body.message).toEqual([expect.stringContaining('bytes')]);
      await request(t.url)
        .post('/auth/register')
        .send({ email: uniqueEmail(), password: 'é'.repeat(3) + 'a', displayName: 'x' })
        .expect(400);
    });

    it('lists every failing field', async () => {
      const res = await request(t.url).post('/auth/register').send({ email: 'nope', password: 'short', displayName: '' }).expect(400);
      expectErrorShape(res.body, 400);
      expect(res.body.error).toBe('Bad Request');
      expect(res.body.message).toHaveLength(3);
      expect(res.body.message.join(' ')).toMatch(/email/);
      expect(res.body.message.join(' ')).toMatch(/password/);
      expect(res.body.message.join(' ')).toMatch(/displayName/);
      await request(t.url)
        .post('/auth/register')
        .send({ email: uniqueEmail(), password: PASSWORD, displayName: 'x'.repeat(51) })
        .expect(400);
      await register(t.url, { displayName: 'x'.repeat(50) });
    });

    it('rejects unknown fields, malformed JSON, non-object bodies and oversize bodies', async () => {
      const unknown = await request(t.url)
        .post('/auth/register')
        .send({ email: uniqueEmail(), password: PASSWORD, displayName: 'x', role: 'admin' })
        .expect(400);
      // refused without naming the field (a name is client input, and validation messages never echo input)
      expect(unknown.body.message).toEqual(['body has fields that are not allowed']);
      const malformed = await request(t.url).post('/auth/login').set('Content-Type', 'application/json').send('{"email": ').expect(400);
      expectErrorShape(malformed.body, 400);
      const array = await request(t.url).post('/auth/login').set('Content-Type', 'application/json').send('[1,2]').expect(400);
      expectErrorShape(array.body, 400);
      const huge = await request(t.url)
        .post('/auth/login')
        .send({ email: 'a@b.co', password: 'x'.repeat(102_400) })
        .expect(413);
      expectErrorShape(huge.body, 413);
      const notFound = await request(t.url).get('/no/such/route').expect(404);
      expectErrorShape(notFound.body, 404);
    });
  });

  describe('login', () => {
    it('opens a new session, case-insensitively', async () => {
      const a = await register(t.url);
      const res = await request(t.url).post('/auth/login').send({ email: a.user.email.toUpperCase(), password: PASSWORD }).expect(200);
      expect(res.body.user).toEqual(a.user);
      expect(res.body.refreshToken).not.toBe(a.refreshToken);
      const sessions = await request(t.url).get('/auth/sessions').set(bearer(a)).expect(200);
      expect(sessions.body).toHaveLength(2);
    });

    it('answers unknown email and wrong password identically', async () => {
      const a = await register(t.url);
      const wrong = await request(t.url).post('/auth/login').send({ email: a.user.email, password: 'wrong password!' }).expect(401);
      const unknown = await request(t.url)
        .post('/auth/login')
        .send({ email: uniqueEmail('ghost'), password: PASSWORD })
        .expect(401);
      expect(wrong.body).toEqual({ statusCode: 401, message: 'Invalid credentials', error: 'Unauthorized' });
      expect(unknown.body).toEqual(wrong.body);
      // bcrypt would ignore byte 73 onwards: such a password must never log in
      const long = await register(t.url, { password: 'a'.repeat(72) });
      await request(t.url)
        .post('/auth/login')
        .send({ email: long.user.email, password: 'a'.repeat(73) })
        .expect(401);
    });
  });

  describe('sessions', () => {
    it('GET /auth/me returns the user', async () => {
      const a = await register(t.url);
      expect((await request(t.url).get('/auth/me').set(bearer(a)).expect(200)).body).toEqual(a.user);
      expectErrorShape((await request(t.url).get('/auth/me').expect(401)).body, 401);
    });

    it('logout ends the session: its access and refresh tokens stop at once', async () => {
      const a = await register(t.url);
      const other = await login(t.url, a.user.email);
      await request(t.url).post('/auth/logout').set(bearer(a)).expect(204);
      await request(t.url).get('/auth/me').set(bearer(a)).expect(401);
      await request(t.url).post('/auth/refresh').send({ refreshToken: a.refreshToken }).expect(401);
      await request(t.url).get('/auth/me').set(bearer(other)).expect(200);
    });

    it('logout-all ends every session of the user', async () => {
      const a = await register(t.url);
      const other = await login(t.url, a.user.email);
      await request(t.url).post('/auth/logout-all').set(bearer(other)).expect(204);
      for (const s of [a, other]) {
        await request(t.url).get('/auth/me').set(bearer(s)).expect(401);
        await request(t.url).post('/auth/refresh').send({ refreshToken: s.refreshToken }).expect(401);
      }
    });

    it('lists sessions per device and deletes only the caller’s own', async () => {
      const a = await register(t.url);
      const phone = await login(t.url, a.user.email, PASSWORD, 'Phone/1.0');
      const res = await request(t.url).get('/auth/sessions').set(bearer(phone)).expect(200);
      expect(res.body).toHaveLength(2);
      for (const s of res.body) {
        expect(Object.keys(s).sort()).toEqual(['createdAt', 'current', 'id', 'ip', 'lastUsedAt', 'userAgent']);
      }
      const current = res.body.find((s: { current: boolean }) => s.current);
      expect(current.userAgent).toBe('Phone/1.0');
      const laptop = res.body.find((s: { current: boolean }) => !s.current);

      const stranger = await register(t.url);
      await request(t.url).delete(`/auth/sessions/${laptop.id}`).set(bearer(stranger)).expect(404);
      await request(t.url).delete('/auth/sessions/01ARZ3NDEKTSV4RRFFQ69G5FAV').set(bearer(phone)).expect(404);
      await request(t.url).get('/auth/me').set(bearer(a)).expect(200);
      await request(t.url).delete(`/auth/sessions/${laptop.id}`).set(bearer(phone)).expect(204);
      await request(t.url).get('/auth/me').set(bearer(a)).expect(401);
      await request(t.url).post('/auth/refresh').send({ refreshToken: a.refreshToken }).expect(401);
      expect((await request(t.url).get('/auth/sessions').set(bearer(phone)).expect(200)).body).toHaveLength(1);
    });

    it('changes the password: wrong current is 401; other sessions end, this one stays', async () => {
      const a = await register(t.url);
      const other = await login(t.url, a.user.email);
      const wrong = await request(t.url)
        .patch('/auth/password')
        .set(bearer(a))
        .send({ currentPassword: 'not it at all', newPassword: 'brand new secret' })
        .expect(401);
      expectErrorShape(wrong.body, 401);
      await request(t.url).patch('/auth/password').set(bearer(a)).send({ currentPassword: PASSWORD, newPassword: 'short' }).expect(400);
      await request(t.url).patch('/auth/password').set(bearer(a)).send({ currentPassword: PASSWORD, newPassword: 'brand new secret' }).expect(204);
      await request(t.url).get('/auth/me').set(bearer(a)).expect(200);
      await request(t.url).get('/auth/me').set(bearer(other)).expect(401);
      await request(t.url).post('/auth/login').send({ email: a.user.email, password: PASSWORD }).expect(401);
      await login(t.url, a.user.email, 'brand new secret');
    });
  });

  it('never returns anything secret', async () => {
    const a = await register(t.url);
    const bodies = [
      (await request(t.url).get('/auth/me').set(bearer(a))).body,
      (await request(t.url).get('/auth/sessions').set(bearer(a))).body,
      (await request(t.url).post('/auth/login').send({ email: a.user.email, password: PASSWORD })).body.user,
    ];
    for (const body of bodies) {
      const text = JSON.stringify(body);
      expect(text).not.toMatch(/\$2[aby]\$/); // bcrypt hash
      expect(text).not.toMatch(SECRET_KEYS);
      expect(text).not.toContain(PASSWORD);
    }
  });
});

describe('REST operations and limits', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp(testEnv(await DATABASES[0].url(), { AUTH_RATE_LIMIT: '3/60s' }));
  });
  afterAll(() => t.close());

  it('rate limits login per IP + email with 429 and Retry-After, not other emails', async () => {
    const email = uniqueEmail('limited');
    for (let i = 0; i < 3; i++) await request(t.url).post('/auth/login').send({ email, password: 'whatever it is' }).expect(401);
    const limited = await request(t.url).post('/auth/login').send({ email, password: 'whatever it is' }).expect(429);
    expectErrorShape(limited.body, 429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    await request(t.url).post('/auth/login').send({ email: email.toUpperCase(), password: 'x' }).expect(429);
    await request(t.url)
      .post('/auth/login')
      .send({ email: uniqueEmail('other'), password: 'whatever it is' })
      .expect(401);
  });

  it('rate limits refresh per session', async () => {
    const a = await register(t.url);
    let token = a.refreshToken;
    for (let i = 0; i < 3; i++) token = (await request(t.url).post('/auth/refresh').send({ refreshToken: token }).expect(200)).body.refreshToken;
    await request(t.url).post('/auth/refresh').send({ refreshToken: token }).expect(429);
    const b = await register(t.url);
    await request(t.url).post('/auth/refresh').send({ refreshToken: b.refreshToken }).expect(200);
  });

  it('serves health, metrics and the OpenAPI docs of every route', async () => {
    expect((await request(t.url).get('/health').expect(200)).body).toMatchObject({ status: 'ok' });
    expect((await request(t.url).get('/metrics').expect(200)).text).toContain('process_resident_memory_bytes');
    await request(t.url).get('/docs').expect(200);
    const spec = (await request(t.url).get('/docs/json').expect(200)).body as { paths: Record<string, Record<string, unknown>> };
    const routes = Object.entries(spec.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));
    expect(routes.sort()).toEqual(
      [
        'POST /auth/register',
        'POST /auth/login',
        'POST /auth/refresh',
        'POST /auth/logout',
        'POST /auth/logout-all',
        'GET /auth/me',
        'PATCH /auth/password',
        'GET /auth/sessions',
        'DELETE /auth/sessions/{id}',
        'POST /auth/verify-email',
        'POST /auth/verify-email/resend',
        'POST /auth/password/forgot',
        'POST /auth/password/reset',
        'POST /auth/login/2fa',
        'POST /auth/2fa/setup',
        'POST /auth/2fa/enable',
        'POST /auth/2fa/disable',
        'GET /rooms/{room}/messages',
        'GET /health',
        'GET /health/live',
        'GET /health/ready',
        'GET /metrics',
        'GET /.well-known/jwks.json',
        'POST /rooms',
        'GET /rooms',
        'GET /rooms/{room}',
        'PATCH /rooms/{room}',
        'DELETE /rooms/{room}',
        'GET /rooms/{room}/members',
        'GET /rooms/{room}/members/{userId}',
        'PUT /rooms/{room}/members/{userId}',
        'DELETE /rooms/{room}/members/{userId}',
        'GET /rooms/{room}/bans',
        'PUT /rooms/{room}/bans/{userId}',
        'DELETE /rooms/{room}/bans/{userId}',
        'GET /users',
        'GET /users/{id}',
        // the server API
        'POST /api/v1/rooms/{room}/messages',
        'GET /api/v1/rooms/{room}/messages',
        'DELETE /api/v1/rooms/{room}/messages/{id}',
        'POST /api/v1/users/{id}/notifications',
        'POST /api/v1/channels/{channel}/publications',
        'POST /api/v1/channels/{channel}/tokens',
        'PUT /api/v1/users/{id}/block',
        'DELETE /api/v1/users/{id}/block',
        'PUT /api/v1/users/{id}/role',
        'GET /api/v1/rooms/{room}/presence',
        'GET /api/v1/stats',
      ].sort(),
    );
  });
});
