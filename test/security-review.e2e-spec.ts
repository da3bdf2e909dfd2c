import request from 'supertest';
import { io } from 'socket.io-client';
import { closeAllSockets, connect, emitAck, login, nextEvent, PASSWORD, register, sleep, uniqueEmail } from './support/clients';
import { DATABASES, startApp, testEnv, TestApp } from './support/app';
import { linkToken, outboxMails } from './support/mail';
import { PasswordHasher } from '../src/auth/password-hasher';
import { SessionsService } from '../src/sessions/sessions.service';
import { UsersService } from '../src/users/users.service';
import { AccessAuthService } from '../src/auth/access-auth.service';

/**
 * The findings of the security review of part 1 (issue #21), one test (or more) each, named
 * `finding N: …`. Each failed on the code before its fix (see SECURITY.md).
 */
const bearer = (a: { accessToken: string }) => ({ Authorization: `Bearer ${a.accessToken}` });

/** Resolves once `hit` has been called; `release()` lets the held call go on. */
function gate(): { reached: Promise<void>; hit: () => Promise<void>; release: () => void } {
  let reach!: () => void;
  let release!: () => void;
  const reached = new Promise<void>((resolve) => (reach = resolve));
  const open = new Promise<void>((resolve) => (release = resolve));
  return {
    reached,
    release,
    hit: async () => {
      reach();
      await open;
    },
  };
}

describe('security review, one node', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp(
      testEnv(await DATABASES[0].url(), {
        AUTH_RATE_LIMIT: '3/60s',
        AUTH_IP_RATE_LIMIT: '1000/60s',
        TRUST_PROXY: '1',
        WS_CONNECT_RATE_LIMIT: '3/10s',
        CORS_ORIGINS: 'https://chat.example.com',
      }),
    );
  });
  afterAll(async () => {
    closeAllSockets();
    await t.close();
  });

  /** The edge proxy appended the address it saw (198.51.100.x) to what the client sent. */
  const viaProxy = (spoofed: string, real: string) => ({ 'X-Forwarded-For': `${spoofed}, ${real}` });

  it('finding 1: a client-chosen X-Forwarded-For entry never picks its own rate-limit bucket (REST)', async () => {
    const victim = await register(t.url, { email: uniqueEmail('xff') });
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) {
      const res = await request(t.url)
        .post('/auth/login')
        .set(viaProxy(`10.9.9.${i}`, '198.51.100.1'))
        .send({ email: victim.user.email, password: 'wrong password' });
      statuses.push(res.status);
    }
    expect(statuses).toEqual([401, 401, 401, 429, 429, 429, 429, 429]);
    // the rightmost entry is the client: another real client is not held back
    await request(t.url)
      .post('/auth/login')
      .set(viaProxy('10.9.9.1', '198.51.100.2'))
      .send({ email: victim.user.email, password: PASSWORD })
      .expect(200);
  });

  it('finding 1: the same rule at the Socket.IO handshake', async () => {
    const user = await register(t.url);
    const codes: Array<string | undefined> = [];
    for (let i = 0; i < 5; i++) {
      try {
        const socket = await connect(t.url, '/chat', { token: user.accessToken, headers: viaProxy(`10.8.8.${i}`, '198.51.100.3') });
        socket.close();
        codes.push('connected');
      } catch (error) {
        codes.push((error as { data?: { code: string } }).data?.code);
      }
    }
    expect(codes).toEqual(['connected', 'connected', 'connected', 'RATE_LIMITED', 'RATE_LIMITED']);
    const other = await connect(t.url, '/chat', { token: user.accessToken, headers: viaProxy('10.8.8.1', '198.51.100.4') });
    other.close();
  });

  it('finding 2: PATCH /auth/password is rate-limited per user', async () => {
    const user = await register(t.url);
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      const res = await request(t.url)
        .patch('/auth/password')
        .set(bearer(user))
        .set(viaProxy('1.1.1.1', `198.51.100.${10 + i}`))
        .send({ currentPassword: `guess ${i}`, newPassword: 'another password' });
      statuses.push(res.status);
    }
    expect(statuses).toEqual([401, 401, 401, 429, 429, 429]);
    const res = await request(t.url)
      .patch('/auth/password')
      .set(bearer(user))
      .send({ currentPassword: PASSWORD, newPassword: 'another password' })
      .expect(429);
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
  });

  it('finding 3: verify-email/resend is keyed by the verified user, never by a body field', async () => {
    const user = await register(t.url);
    const forged = (sid: string) =>
      `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${Buffer.from(JSON.stringify({ sid, sub: user.user.id })).toString('base64url')}.`;
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      const res = await request(t.url)
        .post('/auth/verify-email/resend')
        .set(bearer(user))
        .send({ refreshToken: forged(`sid-${i}`) });
      statuses.push(res.status);
    }
    expect(statuses.slice(0, 3).every((s) => s === 202 || s === 400)).toBe(true);
    expect(statuses.slice(3)).toEqual([429, 429, 429]);
    // at most the three allowed mails (plus the one sent at registration)
    await sleep(300);
    expect((await outboxMails(t.env.MAIL_OUTBOX_DIR as string, user.user.email, 99, 0)).length).toBeLessThanOrEqual(4);
  });

  it('finding 4: validation messages never echo unknown field names (regression)', async () => {
    const res = await request(t.url)
      .post('/auth/register')
      .set(viaProxy('1.1.1.1', '198.51.100.30'))
      .send({ email: uniqueEmail(), password: PASSWORD, displayName: 'x', 'MARKER<b>': 1 })
      .expect(400);
    expect(JSON.stringify(res.body)).not.toContain('MARKER');
  });

  it('finding 9: a login that was in flight when the password was reset does not survive it', async () => {
    const user = await register(t.url);
    await request(t.url).post('/auth/password/forgot').set(viaProxy('1.1.1.1', '198.51.100.40')).send({ email: user.user.email }).expect(202);
    const [mail] = await outboxMails(t.env.MAIL_OUTBOX_DIR as string, user.user.email, 2).then((mails) =>
      mails.filter((m) => m.includes('reset-password')),
    );
    const hasher = t.app.get(PasswordHasher);
    const original = hasher.verify.bind(hasher);
    const held = gate();
    hasher.verify = async (password, hash) => {
      const ok = await original(password, hash);
      await held.hit();
      return ok;
    };
    const racing = request(t.url)
      .post('/auth/login')
      .set(viaProxy('1.1.1.1', '198.51.100.41'))
      .send({ email: user.user.email, password: PASSWORD })
      .then((r) => r);
    await held.reached;
    hasher.verify = original;
    await request(t.url)
      .post('/auth/password/reset')
      .send({ token: linkToken(mail, 'reset-password'), newPassword: 'a new password' })
      .expect(204);
    held.release();
    const res = await racing;
    if (res.status === 200) {
      await request(t.url).get('/auth/me').set(bearer(res.body)).expect(401);
      await request(t.url).post('/auth/refresh').send({ refreshToken: res.body.refreshToken }).expect(401);
    } else {
      expect(res.status).toBe(401);
    }
  });

  it('finding 11: a demoted admin’s /dashboard socket gets FORBIDDEN at auth:refresh and is disconnected', async () => {
    const admin = await register(t.url);
    await t.makeAdmin(admin.user.email);
    const asAdmin = await login(t.url, admin.user.email);
    const dashboard = await connect(t.url, '/dashboard', { token: asAdmin.accessToken });
    await t.app.get(UsersService).setRole(admin.user.email, 'user');
    const asUser = await request(t.url).post('/auth/refresh').send({ refreshToken: asAdmin.refreshToken }).expect(200);
    const gone = nextEvent(dashboard, 'disconnect', 3000);
    const ack = await emitAck(dashboard, 'auth:refresh', { token: asUser.body.accessToken });
    expect(ack).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    await gone;
    expect(dashboard.connected).toBe(false);
  });

  it('finding 14: a refresh whose compare-and-swap wins just before a logout is not answered with tokens', async () => {
    const user = await register(t.url);
    const sessions = t.app.get(SessionsService);
    const original = sessions.rotate.bind(sessions);
    const held = gate();
    sessions.rotate = async (...args) => {
      const outcome = await original(...args);
      await held.hit();
      return outcome;
    };
    const racing = request(t.url)
      .post('/auth/refresh')
      .send({ refreshToken: user.refreshToken })
      .then((r) => r);
    await held.reached;
    sessions.rotate = original;
    await request(t.url).post('/auth/logout').set(bearer(user)).expect(204);
    held.release();
    const res = await racing;
    expect(res.status).toBe(401);
    expect(res.body.accessToken).toBeUndefined();
  });

  it('finding 15: a password change voids pending reset links', async () => {
    const user = await register(t.url);
    await request(t.url).post('/auth/password/forgot').set(viaProxy('1.1.1.1', '198.51.100.50')).send({ email: user.user.email }).expect(202);
    const [mail] = await outboxMails(t.env.MAIL_OUTBOX_DIR as string, user.user.email, 2).then((mails) =>
      mails.filter((m) => m.includes('reset-password')),
    );
    await request(t.url).patch('/auth/password').set(bearer(user)).send({ currentPassword: PASSWORD, newPassword: 'changed password' }).expect(204);
    await request(t.url)
      .post('/auth/password/reset')
      .send({ token: linkToken(mail, 'reset-password'), newPassword: 'attacker password' })
      .expect(400);
    await login(t.url, user.user.email, 'changed password');
  });

  it('finding 15: CSP connect-src is this origin and the configured origins’ ws/wss, never any host', async () => {
    const res = await request(t.url).get('/health').expect(200);
    const csp = String(res.headers['content-security-policy']);
    const connectSrc = /connect-src ([^;]*)/.exec(csp)?.[1].split(' ') ?? [];
    expect(connectSrc).toEqual(expect.arrayContaining(["'self'", 'https://chat.example.com', 'wss://chat.example.com']));
    expect(connectSrc).not.toContain('ws:');
    expect(connectSrc).not.toContain('wss:');
  });

  it('finding 15: a session ended while its handshake is in flight is refused with its real reason (regression)', async () => {
    const user = await register(t.url);
    const held = gate();
    const accessAuth = t.app.get(AccessAuthService);
    const original = accessAuth.assertEmailVerified.bind(accessAuth);
    accessAuth.assertEmailVerified = async (principal) => {
      await held.hit();
      return original(principal);
    };
    // listeners in place before the handshake: the revocation may follow the connect at once
    const socket = io(`${t.url}/chat`, {
      auth: { token: user.accessToken },
      transports: ['websocket'],
      forceNew: true,
      reconnection: false,
      extraHeaders: viaProxy('1.1.1.1', '198.51.100.60'),
    });
    const outcome = new Promise<unknown>((resolve) => {
      socket.on('session:revoked', (payload: unknown) => resolve(payload));
      socket.on('connect_error', (error: Error & { data?: unknown }) => resolve(error.data));
    });
    await held.reached;
    accessAuth.assertEmailVerified = original;
    await request(t.url).post('/auth/logout-all').set(bearer(user)).expect(204);
    held.release();
    const result = await outcome;
    // refused at the handshake with SESSION_REVOKED, or admitted and told the real reason
    expect([{ reason: 'logout_all' }, expect.objectContaining({ code: 'SESSION_REVOKED' })]).toContainEqual(result);
    expect(result).not.toEqual({ reason: 'logout' });
    await sleep(200);
    expect(socket.connected).toBe(false);
    socket.close();
  });
});

describe.each(DATABASES)('security review on $name', ({ url: databaseUrl }) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp(testEnv(await databaseUrl(), { AUTH_RATE_LIMIT: '3/60s', AUTH_IP_RATE_LIMIT: '6/60s', TRUST_PROXY: '1' }));
  });
  afterAll(() => t.close());

  const from = (ip: string) => ({ 'X-Forwarded-For': ip });

  it('finding 12: alicé@ and alice@ are distinct accounts with distinct limiter buckets; NFD and NFC spellings are one', async () => {
    const local = `alice.${process.pid}.${Date.now().toString(36)}`;
    const plain = `${local}@example.test`;
    const accented = `${local.replace('alice', 'alic\u00e9')}@example.test`;
    const decomposed = accented.normalize('NFD');
    expect(decomposed).not.toBe(accented);
    const a = await request(t.url)
      .post('/auth/register')
      .set(from('203.0.113.1'))
      .send({ email: plain, password: 'password of alice', displayName: 'A' })
      .expect(201);
    const b = await request(t.url)
      .post('/auth/register')
      .set(from('203.0.113.1'))
      .send({ email: accented, password: 'password of alicé', displayName: 'B' })
      .expect(201);
    expect(a.body.user.id).not.toBe(b.body.user.id);
    expect(b.body.user.email).toBe(accented);
    await request(t.url).post('/auth/login').set(from('203.0.113.2')).send({ email: plain, password: 'password of alicé' }).expect(401);
    await request(t.url)
      .post('/auth/login')
      .set(from('203.0.113.2'))
      .send({ email: decomposed.toUpperCase(), password: 'password of alicé' })
      .expect(200);
    // the accented bucket: two more wrong guesses (one spelled NFD) fill it …
    await request(t.url).post('/auth/login').set(from('203.0.113.2')).send({ email: accented, password: 'wrong' }).expect(401);
    await request(t.url).post('/auth/login').set(from('203.0.113.2')).send({ email: decomposed, password: 'wrong' }).expect(401);
    await request(t.url).post('/auth/login').set(from('203.0.113.2')).send({ email: accented, password: 'wrong' }).expect(429);
    // … and alice's own is untouched (one wrong guess so far)
    await request(t.url).post('/auth/login').set(from('203.0.113.2')).send({ email: plain, password: 'password of alice' }).expect(200);
  });

  it('finding 13: AUTH_IP_RATE_LIMIT holds one address over every email and every sign-in route; IPv6 by /64', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      const res = await request(t.url)
        .post('/auth/login')
        .set(from('203.0.113.99'))
        .send({ email: uniqueEmail(`cycle${i}`), password: 'guess' });
      statuses.push(res.status);
    }
    expect(statuses).toEqual([401, 401, 401, 401, 401, 401]);
    await request(t.url)
      .post('/auth/register')
      .set(from('203.0.113.99'))
      .send({ email: uniqueEmail(), password: PASSWORD, displayName: 'x' })
      .expect(429);
    await request(t.url).post('/auth/password/forgot').set(from('203.0.113.99')).send({ email: uniqueEmail() }).expect(429);
    await request(t.url)
      .post('/auth/login/2fa')
      .set(from('203.0.113.99'))
      .send({ mfaToken: 'x'.repeat(40), code: '123456' })
      .expect(429);
    // another address is not held back
    await request(t.url).post('/auth/login').set(from('203.0.113.100')).send({ email: uniqueEmail(), password: 'guess' }).expect(401);
    // IPv6: one /64 is one budget
    const v6: number[] = [];
    for (let i = 0; i < 7; i++) {
      const res = await request(t.url)
        .post('/auth/login')
        .set(from(`2001:db8:aa:bb::${(i + 1).toString(16)}`))
        .send({ email: uniqueEmail(`v6${i}`), password: 'guess' });
      v6.push(res.status);
    }
    expect(v6).toEqual([401, 401, 401, 401, 401, 401, 429]);
    await request(t.url).post('/auth/login').set(from('2001:db8:aa:bc::1')).send({ email: uniqueEmail(), password: 'guess' }).expect(401);
  });
});

describe('security review, Engine.IO sessions', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp(testEnv(await DATABASES[0].url(), { WS_CONNECT_RATE_LIMIT: '5/10s' }));
  });
  afterAll(() => t.close());

  const open = () => request(t.url).get('/socket.io/').query({ EIO: '4', transport: 'polling' }).timeout(3000);

  it('finding 7: Engine.IO handshakes that never reach a namespace count against WS_CONNECT_RATE_LIMIT', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 40; i++)
      statuses.push(
        (
          await open().then(
            (r) => r,
            (e: { status?: number }) => e,
          )
        ).status ?? 0,
      );
    // a few sessions that a namespace would then refuse with RATE_LIMITED, then none at all
    expect(statuses.filter((s) => s === 200).length).toBeLessThanOrEqual(10);
    expect(statuses.slice(-20).every((s) => s !== 200)).toBe(true);
  });

  it('finding 7: an Engine.IO session that never reaches a namespace is closed after 10 s', async () => {
    await sleep(10_000); // a fresh rate-limit window
    const res = await open().expect(200);
    const sid = (JSON.parse(String(res.text).replace(/^0/, '')) as { sid: string }).sid;
    await sleep(10_500);
    const poll = () =>
      request(t.url)
        .get('/socket.io/')
        .query({ EIO: '4', transport: 'polling', sid })
        .timeout(2000)
        .then(
          (r) => (r.status === 200 && r.text.split('\x1e').includes('1') ? 'close packet' : r.status),
          (e: { status?: number; timeout?: boolean }) => e.status ?? (e.timeout ? 'still open' : 'error'),
        );
    // a pending close is delivered on the next poll (Engine.IO packet "1", after a noop); then the session is gone
    const first = await poll();
    expect(['close packet', 400]).toContain(first);
    expect(await poll()).toBe(400);
  }, 30_000);
});
