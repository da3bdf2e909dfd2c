import request from 'supertest';
import { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { DataSource } from 'typeorm';
import { EmailTokenEntity } from '../src/mail/email-token.entity';
import { AuthResult, login, register, sleep, uniqueEmail } from './support/clients';
import { DATABASES, startApp, testEnv, TestApp } from './support/app';
import { decodeQuotedPrintable, linkToken, outboxMails } from './support/mail';

const bearer = (a: AuthResult) => ({ Authorization: `Bearer ${a.accessToken}` });

describe.each(DATABASES)('mail flows through the outbox on $name', ({ url: databaseUrl }) => {
  let t: TestApp;
  let outbox: string;
  beforeAll(async () => {
    const env = testEnv(await databaseUrl(), { PUBLIC_URL: 'https://chat.example.test' });
    outbox = env.MAIL_OUTBOX_DIR as string;
    t = await startApp(env);
  });
  afterAll(() => t.close());

  it('verifies the email with the link from the registration mail, once', async () => {
    const a = await register(t.url);
    const [mail] = await outboxMails(outbox, a.user.email);
    expect(decodeQuotedPrintable(mail)).toContain('https://chat.example.test/#/verify-email?token=');
    const token = linkToken(mail, 'verify-email');
    await request(t.url).post('/auth/verify-email').send({ token: 'not-a-real-token' }).expect(400);
    await request(t.url).post('/auth/verify-email').send({ token }).expect(204);
    expect((await request(t.url).get('/auth/me').set(bearer(a)).expect(200)).body.emailVerified).toBe(true);
    const reused = await request(t.url).post('/auth/verify-email').send({ token }).expect(400);
    expect(reused.body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
  });

  it('refuses an expired link, and a link replaced by a newer one', async () => {
    const a = await register(t.url);
    const [first] = await outboxMails(outbox, a.user.email);
    await request(t.url).post('/auth/verify-email/resend').set(bearer(a)).expect(202);
    const mails = await outboxMails(outbox, a.user.email, 2);
    expect(mails).toHaveLength(2);
    await request(t.url)
      .post('/auth/verify-email')
      .send({ token: linkToken(first, 'verify-email') })
      .expect(400);
    const latest = linkToken(mails[1], 'verify-email');
    await t.app
      .get(DataSource)
      .getRepository(EmailTokenEntity)
      .update({ userId: a.user.id }, { expiresAt: new Date(Date.now() - 1000) });
    await request(t.url).post('/auth/verify-email').send({ token: latest }).expect(400);
  });

  it('resets a forgotten password: 202 always, mail only for real accounts, every session ends', async () => {
    const ghost = uniqueEmail('ghost');
    await request(t.url).post('/auth/password/forgot').send({ email: ghost }).expect(202);
    const a = await register(t.url);
    const other = await login(t.url, a.user.email);
    await request(t.url).post('/auth/password/forgot').send({ email: a.user.email.toUpperCase() }).expect(202);
    const reset = (await outboxMails(outbox, a.user.email, 2)).find((m) => m.includes('reset-password'));
    expect(reset).toBeDefined();
    const token = linkToken(reset as string, 'reset-password');
    await request(t.url).post('/auth/password/reset').send({ token, newPassword: 'short' }).expect(400);
    await request(t.url).post('/auth/password/reset').send({ token, newPassword: 'a fresh password' }).expect(204);
    for (const s of [a, other]) await request(t.url).get('/auth/me').set(bearer(s)).expect(401);
    await request(t.url).post('/auth/password/reset').send({ token, newPassword: 'yet another one' }).expect(400);
    await login(t.url, a.user.email, 'a fresh password');
    expect(await outboxMails(outbox, ghost, 1, 300)).toHaveLength(0);
  });
});

describe('REQUIRE_EMAIL_VERIFICATION=true', () => {
  let t: TestApp;
  let outbox: string;
  beforeAll(async () => {
    const env = testEnv(await DATABASES[0].url(), { REQUIRE_EMAIL_VERIFICATION: 'true' });
    outbox = env.MAIL_OUTBOX_DIR as string;
    t = await startApp(env);
  });
  afterAll(() => t.close());

  it('holds unverified users at the door until they verify, with the same token afterwards', async () => {
    const a = await register(t.url);
    await request(t.url).get('/auth/me').set(bearer(a)).expect(200);
    await request(t.url).get('/auth/sessions').set(bearer(a)).expect(200);
    const blocked = await request(t.url).get('/rooms/general/messages').set(bearer(a)).expect(403);
    expect(blocked.body).toMatchObject({ statusCode: 403, error: 'Forbidden', message: expect.stringMatching(/verify/i) });
    await request(t.url).patch('/auth/password').set(bearer(a)).send({ currentPassword: 'x', newPassword: 'whatever it is' }).expect(403);
    const [mail] = await outboxMails(outbox, a.user.email);
    await request(t.url)
      .post('/auth/verify-email')
      .send({ token: linkToken(mail, 'verify-email') })
      .expect(204);
    await request(t.url).get('/rooms/general/messages').set(bearer(a)).expect(200);
  });
});

describe('mail over real SMTP', () => {
  let t: TestApp;
  let smtp: SMTPServer;
  const received: Array<{ to: string[]; raw: string }> = [];

  beforeAll(async () => {
    smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onData(stream, session, callback) {
        let raw = '';
        stream.on('data', (chunk: Buffer) => (raw += chunk.toString()));
        stream.on('end', () => {
          received.push({ to: session.envelope.rcptTo.map((r) => r.address), raw });
          callback();
        });
      },
    });
    await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
    const { port } = smtp.server.address() as AddressInfo;
    t = await startApp(testEnv(await DATABASES[0].url(), { MAIL_URL: `smtp://127.0.0.1:${port}` }));
  });
  afterAll(async () => {
    await t.close();
    await new Promise<void>((resolve) => smtp.close(resolve));
  });

  it('delivers the verification mail to the right recipient with a working link', async () => {
    const a = await register(t.url);
    for (let i = 0; i < 60 && received.length === 0; i++) await sleep(50);
    expect(received).toHaveLength(1);
    expect(received[0].to).toEqual([a.user.email]);
    await request(t.url)
      .post('/auth/verify-email')
      .send({ token: linkToken(received[0].raw, 'verify-email') })
      .expect(204);
  });
});
