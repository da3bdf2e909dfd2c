import request from 'supertest';
import { createConnection } from 'mysql2/promise';
import { Socket } from 'socket.io-client';
import { DATABASES, startApp, testEnv, TestApp } from './support/app';
import { Ack, AuthResult, closeAllSockets, connect, emitAck, login, nextEvent, refusal, register, sleep } from './support/clients';
import { TcpProxy } from './support/tcp-proxy';

const REDIS = process.env.TEST_REDIS_URL;
const mysql = DATABASES.find((d) => d.name === 'mysql');
if (!mysql) console.info('Fault-injection suites skipped: they need TEST_MYSQL_URL (and TEST_REDIS_URL for the Redis one).');
else if (!REDIS) console.info('Redis fault-injection suite skipped: it needs TEST_REDIS_URL.');

type Sent = { id: string; body: string };

/** Lanes of sequential `message:send`s, recording every answer, until stopped. */
class Traffic {
  readonly acked = new Map<string, string>();
  readonly answers: Array<{ at: number; ok: boolean; code?: string }> = [];
  private running = true;
  private seq = 0;
  private readonly done: Promise<unknown>;

  constructor(
    private readonly socket: Socket,
    private readonly room: string,
    lanes = 3,
  ) {
    this.done = Promise.all(Array.from({ length: lanes }, () => this.lane()));
  }

  private async lane(): Promise<void> {
    while (this.running && this.socket.connected) {
      const n = this.seq++;
      const body = `fault-${this.room}-${n}`;
      // The server must answer by itself (ok or INTERNAL): a client-side timeout counts as a failure.
      const ack = (await this.socket
        .timeout(12_000)
        .emitWithAck('message:send', { room: this.room, body, clientMsgId: `${this.room}-${n}` })
        .catch((): Ack<Sent> => ({ ok: false, error: { code: 'CLIENT_TIMEOUT', message: '' } }))) as Ack<Sent>;
      this.answers.push({ at: Date.now(), ok: ack.ok, code: ack.ok ? undefined : ack.error.code });
      if (ack.ok) this.acked.set(ack.data.id, body);
      else await sleep(100);
    }
  }

  firstOkAfter(time: number): number | undefined {
    return this.answers.find((a) => a.ok && a.at > time)?.at;
  }

  codesBetween(from: number, to: number): string[] {
    return this.answers.filter((a) => !a.ok && a.at >= from && a.at <= to).map((a) => a.code as string);
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.done;
  }
}

/** Whether a `message:new` with this body reaches the socket within `ms`. */
function receivesMessage(socket: Socket, body: string, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const done = (seen: boolean) => {
      clearTimeout(timer);
      socket.off('message:new', onMessage);
      resolve(seen);
    };
    const onMessage = (message: { body: string }) => message.body === body && done(true);
    const timer = setTimeout(() => done(false), ms);
    socket.on('message:new', onMessage);
  });
}

async function health(url: string): Promise<number> {
  return fetch(`${url}/health`, { signal: AbortSignal.timeout(4000) }).then(
    (res) => res.status,
    () => 0,
  );
}

/** Milliseconds from now until `/health` answers `status` (or throws after `limitMs`). */
async function timeUntilHealth(url: string, status: number, limitMs: number): Promise<number> {
  const start = Date.now();
  while (Date.now() - start < limitMs) {
    if ((await health(url)) === status) return Date.now() - start;
    await sleep(200);
  }
  throw new Error(`/health did not answer ${status} within ${limitMs} ms`);
}

/** Every acknowledged message, read straight from MariaDB (not through the proxy). */
async function expectAllStored(databaseUrl: string, acked: Map<string, string>): Promise<void> {
  const db = await createConnection({ uri: databaseUrl });
  try {
    const ids = [...acked.keys()];
    const [rows] = await db.query('SELECT id, body FROM messages WHERE id IN (?)', [ids]);
    const stored = new Map((rows as Sent[]).map((r) => [r.id, r.body]));
    expect(ids.filter((id) => stored.get(id) !== acked.get(id))).toEqual([]);
  } finally {
    await db.end();
  }
}

(mysql ? describe : describe.skip)('the database fails behind a TCP proxy', () => {
  let proxy: TcpProxy;
  let t: TestApp;
  let databaseUrl: string;
  let alice: AuthResult;

  beforeAll(async () => {
    databaseUrl = await mysql!.url();
    const target = new URL(databaseUrl);
    proxy = await TcpProxy.start(target.hostname, Number(target.port || 3306));
    t = await startApp(testEnv(proxy.rewrite(databaseUrl), { WS_RATE_LIMIT: '10000/1s' }));
    alice = await register(t.url);
  }, 30_000);

  afterAll(async () => {
    closeAllSockets();
    proxy?.restore();
    await t?.close();
    await proxy?.close();
  });

  it.each(['cut', 'stall'] as const)(
    'when %s: /health 503 within 5 s, sends refused (never a false ok), REST 503; recovers by itself within 10 s',
    async (fault) => {
      const room = `outage-${fault}`;
      const socket = await connect(t.url, '/chat', { token: alice.accessToken });
      expect(await emitAck(socket, 'room:join', { room })).toMatchObject({ ok: true });
      const traffic = new Traffic(socket, room);
      await sleep(500);
      expect(traffic.acked.size).toBeGreaterThan(0);

      const faultAt = Date.now();
      proxy[fault]();
      expect(await timeUntilHealth(t.url, 503, 5000)).toBeLessThanOrEqual(5000);

      // REST that needs the database: 503 in the contract's error shape, with Retry-After.
      const history = await request(t.url).get(`/rooms/${room}/messages`).set('Authorization', `Bearer ${alice.accessToken}`).timeout(12_000);
      expect(history.status).toBe(503);
      expect(history.body).toEqual({ statusCode: 503, message: expect.any(String), error: 'Service Unavailable' });
      expect(history.headers['retry-after']).toBeDefined();
      const signIn = await request(t.url).post('/auth/login').send({ email: alice.user.email, password: 'correct horse battery' }).timeout(12_000);
      expect(signIn.status).toBe(503);
      // A token check never touches the database, so an authenticated read of memory still works.
      await request(t.url).get('/health').expect(503);

      // Sends during the outage are answered INTERNAL by the server, not left hanging.
      await sleep(Math.max(0, faultAt + 6000 - Date.now()));
      const duringOutage = traffic.codesBetween(faultAt + 500, Date.now());
      expect(duringOutage.length).toBeGreaterThan(0);
      expect(new Set(duringOutage)).toEqual(new Set(['INTERNAL']));

      const restoredAt = Date.now();
      proxy.restore();
      expect(await timeUntilHealth(t.url, 200, 10_000)).toBeLessThanOrEqual(10_000);
      while (!traffic.firstOkAfter(restoredAt) && Date.now() - restoredAt < 10_000) await sleep(100);
      expect((traffic.firstOkAfter(restoredAt) ?? Infinity) - restoredAt).toBeLessThanOrEqual(10_000);
      await request(t.url).post('/auth/login').send({ email: alice.user.email, password: 'correct horse battery' }).expect(200);
      await sleep(500);
      await traffic.stop();
      socket.close();

      await expectAllStored(databaseUrl, traffic.acked);
    },
    60_000,
  );
});

(mysql && REDIS ? describe : describe.skip)('Redis fails behind a TCP proxy', () => {
  let proxy: TcpProxy;
  let near: TestApp; // reaches Redis through the proxy
  let far: TestApp; // reaches Redis directly

  beforeAll(async () => {
    const databaseUrl = await mysql!.url();
    const target = new URL(REDIS!);
    proxy = await TcpProxy.start(target.hostname, Number(target.port || 6379));
    const prefix = `parley-fault-${process.pid}-${Date.now().toString(36)}:`;
    const env = { REDIS_KEY_PREFIX: prefix, WS_RATE_LIMIT: '10000/1s' };
    near = await startApp(testEnv(databaseUrl, { ...env, REDIS_URL: proxy.rewrite(REDIS!), NODE_ID: 'near' }));
    far = await startApp(testEnv(databaseUrl, { ...env, REDIS_URL: REDIS, NODE_ID: 'far' }));
  }, 30_000);

  afterAll(async () => {
    closeAllSockets();
    proxy?.restore();
    await near?.close();
    await far?.close();
    await proxy?.close();
  });

  it.each(['cut', 'stall'] as const)(
    'when %s: /health 503 within 5 s, the node keeps serving alone, and catches up within 10 s of the repair',
    async (fault) => {
      const room = `redis-${fault}`;
      const alice = await register(near.url);
      const bob = await register(far.url);
      const a = await connect(near.url, '/chat', { token: alice.accessToken });
      const b = await connect(far.url, '/chat', { token: bob.accessToken });
      await emitAck(a, 'room:join', { room });
      await emitAck(b, 'room:join', { room });
      // A second session of Bob's, watched on the far node, that Bob ends on the near node.
      const bobElsewhere = await login(near.url, bob.user.email);
      const doomed = await connect(far.url, '/chat', { token: bobElsewhere.accessToken });
      const traffic = new Traffic(a, room, 2);

      proxy[fault]();
      expect(await timeUntilHealth(near.url, 503, 5000)).toBeLessThanOrEqual(5000);
      await request(far.url).get('/health').expect(200);

      // Alone, the near node still signs people in, stores and delivers locally, lists presence.
      const started = Date.now();
      await request(near.url).post('/auth/login').send({ email: alice.user.email, password: 'correct horse battery' }).timeout(5000).expect(200);
      const presence = await emitAck<{ online: Array<{ id: string }> }>(a, 'presence:list', { room });
      expect(presence).toMatchObject({ ok: true });
      expect(Date.now() - started).toBeLessThan(5000);
      const own = receivesMessage(a, 'alone', 5000);
      expect(await emitAck(a, 'message:send', { room, body: 'alone' })).toMatchObject({ ok: true });
      expect(await own).toBe(true);
      // Ending a session during the outage: refused here at once, the far node learns it later.
      const revoked = nextEvent<{ reason: string }>(doomed, 'session:revoked', 20_000);
      revoked.catch(() => undefined); // awaited below; must not go unhandled if the test fails first
      await request(near.url).post('/auth/logout').set('Authorization', `Bearer ${bobElsewhere.accessToken}`).timeout(5000).expect(204);
      expect((await refusal(connect(near.url, '/chat', { token: bobElsewhere.accessToken }))).data?.code).toBe('SESSION_REVOKED');

      const restoredAt = Date.now();
      proxy.restore();
      expect(await timeUntilHealth(near.url, 200, 10_000)).toBeLessThanOrEqual(10_000);
      await revoked;
      expect(Date.now() - restoredAt).toBeLessThanOrEqual(10_000);
      // Cross-node delivery works again, both ways.
      let crossed = false;
      for (let i = 0; !crossed && Date.now() - restoredAt < 10_000; i++) {
        const toB = receivesMessage(b, `across ${i}`, 1000);
        await emitAck(a, 'message:send', { room, body: `across ${i}` });
        crossed = await toB;
      }
      expect(crossed).toBe(true);
      const toA = receivesMessage(a, 'and back', 2000);
      await emitAck(b, 'message:send', { room, body: 'and back' });
      expect(await toA).toBe(true);
      await traffic.stop();
      // Redis is not on the write path: no send failed during the outage.
      expect(traffic.answers.filter((answer) => !answer.ok)).toEqual([]);
      a.close();
      b.close();
    },
    60_000,
  );
});
