import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import request from 'supertest';
import { closeAllSockets, connect, emitAck, login, PASSWORD, register, sleep } from './support/clients';
import { ServerProcess, startServerProcess } from './support/process';
import { base32Decode, hotp, timeStep } from '../src/two-factor/totp';

const SECRETS = {
  JWT_ACCESS_SECRET: 'log-test-access-secret-0123456789abcdefghij',
  JWT_REFRESH_SECRET: 'log-test-refresh-secret-0123456789abcdefghi',
  WEBHOOK_SECRET: 'log-test-webhook-secret-0123456789abcdefghi',
};

/**
 * Runs the real server as its own process (JSON logs at debug level, as in production) and
 * captures everything it writes, then walks through every flow that handles a secret.
 */
describe('logs', () => {
  let server: ServerProcess;
  let url = '';
  let databaseUrl = '';

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'parley-logs-'));
    server = await startServerProcess({
      ...SECRETS,
      NODE_ENV: 'production',
      LOG_LEVEL: 'debug',
      DATABASE_URL: (databaseUrl = `sqlite:${join(dir, 'app.sqlite')}`),
      MAIL_OUTBOX_DIR: join(dir, 'outbox'),
      BCRYPT_COST: '4',
      // nothing listens there: every attempt fails, and is logged at debug
      WEBHOOK_URL: 'http://127.0.0.1:9/hooks',
    });
    url = server.url;
  }, 60_000);

  afterAll(async () => {
    closeAllSockets();
    server.child.kill('SIGTERM');
    await server.exited;
  });
  it('never contain a password, token, token secret or hash', async () => {
    const secrets: string[] = [
      PASSWORD,
      'a brand new password',
      'wrong password here',
      SECRETS.JWT_ACCESS_SECRET,
      SECRETS.JWT_REFRESH_SECRET,
      SECRETS.WEBHOOK_SECRET,
    ];
    const a = await register(url);
    const b = await login(url, a.user.email);
    secrets.push(a.accessToken, a.refreshToken, b.accessToken, b.refreshToken);
    await request(url).post('/auth/login').send({ email: a.user.email, password: 'wrong password here' }).expect(401);
    const refreshed = (await request(url).post('/auth/refresh').send({ refreshToken: b.refreshToken }).expect(200)).body;
    secrets.push(refreshed.accessToken, refreshed.refreshToken);
    for (const token of [a.refreshToken, refreshed.refreshToken]) {
      const claims = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()) as { sec: string };
      secrets.push(claims.sec);
    }
    const viaAuth = await connect(url, '/chat', { token: a.accessToken });
    const viaHeader = await connect(url, '/chat', { header: refreshed.accessToken });
    await emitAck(viaAuth, 'room:join', { room: 'logs' });
    await emitAck(viaAuth, 'message:send', { room: 'logs', body: 'hello logs' });
    await emitAck(viaHeader, 'auth:refresh', { token: refreshed.accessToken });
    await emitAck(viaAuth, 'auth:refresh', { token: 'not-a-token-but-still-secret-looking' });
    await request(url).get(`/auth/me?token=${a.accessToken}`).set('Authorization', `Bearer ${a.accessToken}`).expect(200);
    await request(url)
      .patch('/auth/password')
      .set('Authorization', `Bearer ${a.accessToken}`)
      .send({ currentPassword: PASSWORD, newPassword: 'a brand new password' })
      .expect(204);
    await request(url).post('/auth/logout').set('Authorization', `Bearer ${a.accessToken}`).expect(204);
    // two-factor sign-in: the TOTP secret, the recovery codes and the mfaToken
    const c = await register(url);
    const setup = (await request(url).post('/auth/2fa/setup').set('Authorization', `Bearer ${c.accessToken}`).expect(200)).body as {
      secret: string;
      otpauthUrl: string;
    };
    const step = timeStep(Date.now());
    const codes = (
      await request(url)
        .post('/auth/2fa/enable')
        .set('Authorization', `Bearer ${c.accessToken}`)
        .send({ code: hotp(base32Decode(setup.secret), step) })
        .expect(200)
    ).body as { recoveryCodes: string[] };
    const mfaToken = (await request(url).post('/auth/login').send({ email: c.user.email, password: PASSWORD }).expect(200)).body.mfaToken as string;
    await request(url).post('/auth/login/2fa').send({ mfaToken, recoveryCode: codes.recoveryCodes[0] }).expect(200);
    secrets.push(setup.secret, setup.otpauthUrl, mfaToken, ...codes.recoveryCodes);
    await sleep(300);

    expect(server.output()).toContain('"msg":"request completed"'); // the capture works: request logs are there
    for (const secret of secrets) expect(server.output()).not.toContain(secret);
    expect(server.output()).not.toMatch(/\$2[aby]\$\d\d\$/); // no bcrypt hash
    expect(server.output()).not.toMatch(/eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+/); // no JWT of any kind
  });

  it('never contain an API key, its secret or a channel token', async () => {
    // the CLI creates the key in the server's database; the server finds it within a second
    const created = await promisify(execFile)(
      process.execPath,
      ['-r', 'ts-node/register/transpile-only', 'src/cli.ts', 'api-key', 'create', 'Log bot'],
      {
        cwd: join(__dirname, '..'),
        env: { ...process.env, ...SECRETS, DATABASE_URL: databaseUrl, LOG_LEVEL: 'silent', TS_NODE_PROJECT: join(__dirname, '..', 'tsconfig.json') },
      },
    );
    const key = created.stdout.trim();
    const auth = { Authorization: `Bearer ${key}` };
    for (let i = 0; i < 40 && (await request(url).get('/api/v1/stats').set(auth)).status !== 200; i++) await sleep(50);
    const user = await register(url);
    const channelToken = (await request(url).post('/api/v1/channels/private:logs/tokens').set(auth).send({ userId: user.user.id }).expect(201)).body
      .token as string;
    await request(url)
      .post('/api/v1/channels/private:logs/publications')
      .set(auth)
      .send({ data: { n: 1 } })
      .expect(201);
    await request(url).post('/api/v1/rooms/logs/messages').set(auth).send({ body: 'bot says hi' }).expect(201);
    await request(url).get('/api/v1/stats').set('Authorization', `Bearer ${key}x`).expect(401);
    const socket = await connect(url, '/live', { token: user.accessToken });
    expect(await emitAck(socket, 'channel:subscribe', { channel: 'private:logs', token: channelToken })).toMatchObject({ ok: true });
    await emitAck(socket, 'channel:subscribe', { channel: 'private:logs', token: `${channelToken}x` });
    await sleep(300);
    expect(server.output()).toContain('/api/v1/stats');
    for (const secret of [key, key.split('_').slice(2).join('_'), channelToken]) expect(server.output()).not.toContain(secret);
  }, 60_000);
});
