import request from 'supertest';
import { DataSource } from 'typeorm';
import { AuthResult, closeAllSockets, connect, login, nextEvent, PASSWORD, receives, register } from './support/clients';
import { appPerSuite, DATABASES, startApp, testEnv, TestApp } from './support/app';
import { base32Decode, hotp, timeStep } from '../src/two-factor/totp';
import { linkToken, outboxMails } from './support/mail';
import { MfaChallengeEntity } from '../src/two-factor/mfa-challenge.entity';

const bearer = (a: { accessToken: string }) => ({ Authorization: `Bearer ${a.accessToken}` });
const codeAt = (secret: string, step: number) => hotp(base32Decode(secret), step);

interface Enabled {
  user: AuthResult;
  secret: string;
  /** the step whose code enabled 2FA (spent) */
  step: number;
  recoveryCodes: string[];
}

async function enable(url: string): Promise<Enabled> {
  const user = await register(url);
  const setup = await request(url).post('/auth/2fa/setup').set(bearer(user)).expect(200);
  const step = timeStep(Date.now());
  const res = await request(url)
    .post('/auth/2fa/enable')
    .set(bearer(user))
    .send({ code: codeAt(setup.body.secret, step) })
    .expect(200);
  return { user, secret: setup.body.secret, step, recoveryCodes: res.body.recoveryCodes };
}

async function challenge(url: string, email: string): Promise<string> {
  const res = await request(url).post('/auth/login').send({ email, password: PASSWORD }).expect(200);
  expect(res.body).toEqual({ mfaRequired: true, mfaToken: expect.any(String), expiresIn: 300 });
  return res.body.mfaToken;
}

describe.each(DATABASES)('two-factor sign-in on $name', ({ url: databaseUrl }) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp(testEnv(await databaseUrl()));
  });
  afterAll(async () => {
    closeAllSockets();
    await t.close();
  });

  it('sets up (a new setup replaces a pending one), refuses a wrong code, enables with 10 recovery codes and ends every other session', async () => {
    const user = await register(t.url);
    const other = await login(t.url, user.user.email);
    const otherSocket = await connect(t.url, '/chat', { token: other.accessToken });
    const ownSocket = await connect(t.url, '/chat', { token: user.accessToken });
    const first = await request(t.url).post('/auth/2fa/setup').set(bearer(user)).expect(200);
    expect(first.body).toEqual({ secret: expect.stringMatching(/^[A-Z2-7]{32}$/), otpauthUrl: expect.stringMatching(/^otpauth:\/\/totp\//) });
    expect(new URL(first.body.otpauthUrl).searchParams.get('secret')).toBe(first.body.secret);
    const second = await request(t.url).post('/auth/2fa/setup').set(bearer(user)).expect(200);
    expect(second.body.secret).not.toBe(first.body.secret);
    const step = timeStep(Date.now());
    // the replaced secret's code and a wrong code: 400, nothing spent
    await request(t.url)
      .post('/auth/2fa/enable')
      .set(bearer(user))
      .send({ code: codeAt(first.body.secret, step) })
      .expect(400);
    await request(t.url).post('/auth/2fa/enable').set(bearer(user)).send({ code: 'abcdef' }).expect(400);
    const revoked = nextEvent<{ reason: string }>(otherSocket, 'session:revoked');
    const res = await request(t.url)
      .post('/auth/2fa/enable')
      .set(bearer(user))
      .send({ code: codeAt(second.body.secret, step) })
      .expect(200);
    expect(res.body.recoveryCodes).toHaveLength(10);
    expect(new Set(res.body.recoveryCodes).size).toBe(10);
    await expect(revoked).resolves.toEqual({ reason: 'two_factor_changed' });
    await request(t.url).get('/auth/me').set(bearer(other)).expect(401);
    expect(await receives(ownSocket, 'session:revoked', 300)).toBe(false);
    const me = await request(t.url).get('/auth/me').set(bearer(user)).expect(200);
    expect(me.body.twoFactorEnabled).toBe(true);
    await request(t.url).post('/auth/2fa/setup').set(bearer(user)).expect(409);
  });

  it('signs in in two steps; each code once (the one that enabled it included); a refused attempt uses none up', async () => {
    const { user, secret, step } = await enable(t.url);
    const mfaToken = await challenge(t.url, user.user.email);
    // the enabling code is spent
    await request(t.url)
      .post('/auth/login/2fa')
      .send({ mfaToken, code: codeAt(secret, step) })
      .expect(401);
    await request(t.url)
      .post('/auth/login/2fa')
      .send({ mfaToken, code: '000000' === codeAt(secret, step + 1) ? '111111' : '000000' })
      .expect(401);
    const ok = await request(t.url)
      .post('/auth/login/2fa')
      .send({ mfaToken, code: codeAt(secret, step + 1) })
      .expect(200);
    expect(ok.body).toEqual(expect.objectContaining({ accessToken: expect.any(String), refreshToken: expect.any(String), tokenType: 'Bearer' }));
    expect(ok.body.user.twoFactorEnabled).toBe(true);
    await request(t.url).get('/auth/me').set(bearer(ok.body)).expect(200);
    // a used mfaToken is spent; a replayed code on a new one is refused
    await request(t.url)
      .post('/auth/login/2fa')
      .send({ mfaToken, code: codeAt(secret, step + 1) })
      .expect(401);
    const again = await challenge(t.url, user.user.email);
    await request(t.url)
      .post('/auth/login/2fa')
      .send({ mfaToken: again, code: codeAt(secret, step + 1) })
      .expect(401);
    // a wrong password never gets a challenge
    await request(t.url).post('/auth/login').send({ email: user.user.email, password: 'wrong password' }).expect(401);
  });

  it('takes each recovery code once', async () => {
    const { user, recoveryCodes } = await enable(t.url);
    const first = await challenge(t.url, user.user.email);
    await request(t.url).post('/auth/login/2fa').send({ mfaToken: first, recoveryCode: recoveryCodes[3] }).expect(200);
    const second = await challenge(t.url, user.user.email);
    await request(t.url).post('/auth/login/2fa').send({ mfaToken: second, recoveryCode: recoveryCodes[3] }).expect(401);
    await request(t.url).post('/auth/login/2fa').send({ mfaToken: second, recoveryCode: recoveryCodes[4] }).expect(200);
  });

  it('spends the mfaToken after 5 wrong codes, and refuses an invalid one', async () => {
    const { user, secret, step } = await enable(t.url);
    const mfaToken = await challenge(t.url, user.user.email);
    const wrong = ['000000', '111111', '222222', '333333', '444444', '555555'].filter(
      (c) => ![step, step + 1, step + 2].some((s) => codeAt(secret, s) === c),
    );
    for (const code of wrong.slice(0, 5)) await request(t.url).post('/auth/login/2fa').send({ mfaToken, code }).expect(401);
    await request(t.url)
      .post('/auth/login/2fa')
      .send({ mfaToken, code: codeAt(secret, step + 1) })
      .expect(401);
    await request(t.url)
      .post('/auth/login/2fa')
      .send({ mfaToken: 'not-a-token-at-all', code: codeAt(secret, step + 1) })
      .expect(401);
    await request(t.url).post('/auth/login/2fa').send({ mfaToken, code: '12345' }).expect(400);
    // a fresh challenge still works with the unused code
    const fresh = await challenge(t.url, user.user.email);
    await request(t.url)
      .post('/auth/login/2fa')
      .send({ mfaToken: fresh, code: codeAt(secret, step + 1) })
      .expect(200);
  });

  it('disables with password and code (or a recovery code): 401 wrong password, 400 wrong code, other sessions end', async () => {
    const { user, secret, step, recoveryCodes } = await enable(t.url);
    const second = await request(t.url)
      .post('/auth/login/2fa')
      .send({ mfaToken: await challenge(t.url, user.user.email), code: codeAt(secret, step + 1) })
      .expect(200);
    const socket = await connect(t.url, '/chat', { token: second.body.accessToken });
    await request(t.url).post('/auth/2fa/disable').set(bearer(user)).send({ password: 'wrong password', code: recoveryCodes[0] }).expect(401);
    await request(t.url).post('/auth/2fa/disable').set(bearer(user)).send({ password: PASSWORD, code: 'not-a-code' }).expect(400);
    const revoked = nextEvent<{ reason: string }>(socket, 'session:revoked');
    await request(t.url).post('/auth/2fa/disable').set(bearer(user)).send({ password: PASSWORD, code: recoveryCodes[0] }).expect(204);
    await expect(revoked).resolves.toEqual({ reason: 'two_factor_changed' });
    const me = await request(t.url).get('/auth/me').set(bearer(user)).expect(200);
    expect(me.body.twoFactorEnabled).toBe(false);
    const plain = await login(t.url, user.user.email);
    expect(plain.accessToken).toEqual(expect.any(String));
    // and with a TOTP code
    const other = await enable(t.url);
    await request(t.url)
      .post('/auth/2fa/disable')
      .set(bearer(other.user))
      .send({ password: PASSWORD, code: codeAt(other.secret, other.step + 1) })
      .expect(204);
  });

  it('keeps the TOTP secret encrypted at rest and the recovery codes hashed', async () => {
    const { user, secret, recoveryCodes } = await enable(t.url);
    const dataSource = t.app.get(DataSource);
    const rows = JSON.stringify([
      ...(await dataSource.query('SELECT * FROM users WHERE id = ?', [user.user.id])),
      ...(await dataSource.query('SELECT * FROM recovery_codes WHERE user_id = ?', [user.user.id])),
    ]);
    const raw = base32Decode(secret);
    for (const plain of [secret, raw.toString('hex'), raw.toString('base64'), raw.toString('base64url'), ...recoveryCodes])
      expect(rows).not.toContain(plain);
    expect(rows).toMatch(/v1\./);
  });

  it('refuses an expired mfaToken, and one whose password was reset after the first step', async () => {
    const { user, secret, step } = await enable(t.url);
    const expired = await challenge(t.url, user.user.email);
    await t.app
      .get(DataSource)
      .getRepository(MfaChallengeEntity)
      .update({ userId: user.user.id }, { expiresAt: new Date(Date.now() - 1000) });
    await request(t.url)
      .post('/auth/login/2fa')
      .send({ mfaToken: expired, code: codeAt(secret, step + 1) })
      .expect(401);
    const pending = await challenge(t.url, user.user.email);
    await request(t.url).post('/auth/password/forgot').send({ email: user.user.email }).expect(202);
    const [mail] = (await outboxMails(t.env.MAIL_OUTBOX_DIR as string, user.user.email, 2)).filter((m) => m.includes('reset-password'));
    await request(t.url)
      .post('/auth/password/reset')
      .send({ token: linkToken(mail, 'reset-password'), newPassword: 'a new password' })
      .expect(204);
    await request(t.url)
      .post('/auth/login/2fa')
      .send({ mfaToken: pending, code: codeAt(secret, step + 1) })
      .expect(401);
    // the reset keeps 2FA on: the new password still needs the second step
    const res = await request(t.url).post('/auth/login').send({ email: user.user.email, password: 'a new password' }).expect(200);
    expect(res.body.mfaRequired).toBe(true);
  });

  it('answers the challenge only with tokens, never the secret', async () => {
    const { user } = await enable(t.url);
    const res = await request(t.url).post('/auth/login').send({ email: user.user.email, password: PASSWORD }).expect(200);
    expect(Object.keys(res.body).sort()).toEqual(['expiresIn', 'mfaRequired', 'mfaToken']);
  });
});

describe('two-factor rate limits', () => {
  const suite = appPerSuite({ AUTH_RATE_LIMIT: '3/60s' });

  it('counts POST /auth/login/2fa against AUTH_RATE_LIMIT per mfaToken: 429 with Retry-After', async () => {
    const { user, secret, step } = await enable(suite.t.url);
    const mfaToken = await challenge(suite.t.url, user.user.email);
    const wrong = ['000000', '111111', '222222', '333333'].filter((c) => ![step, step + 1, step + 2].some((s) => codeAt(secret, s) === c));
    for (const code of wrong.slice(0, 3)) await request(suite.t.url).post('/auth/login/2fa').send({ mfaToken, code }).expect(401);
    const limited = await request(suite.t.url)
      .post('/auth/login/2fa')
      .send({ mfaToken, code: codeAt(secret, step + 1) })
      .expect(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
  });
});
