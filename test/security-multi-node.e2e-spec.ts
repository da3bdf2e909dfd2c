import request from 'supertest';
import Redis from 'ioredis';
import { createConnection } from 'mysql2/promise';
import { closeAllSockets, connect, login, nextEvent, PASSWORD, register, sleep } from './support/clients';
import { DATABASES, startApp, testEnv, TestApp } from './support/app';
import { TcpProxy } from './support/tcp-proxy';
import { ConnectionSlots } from '../src/realtime/connection-slots';
import { base32Decode, hotp, timeStep } from '../src/two-factor/totp';

/** Findings 5, 6 and 10 of the security review (issue #21): several nodes on MariaDB + Redis. */
const REDIS = process.env.TEST_REDIS_URL;
const mysql = DATABASES.find((d) => d.name === 'mysql');
const enabled = Boolean(REDIS && mysql);
if (!enabled) console.info('Security multi-node suite skipped: it needs both TEST_MYSQL_URL and TEST_REDIS_URL.');

const bearer = (a: { accessToken: string }) => ({ Authorization: `Bearer ${a.accessToken}` });

/** Polls until `check` holds or `ms` pass; returns the time it took (or Infinity). */
async function within(ms: number, check: () => Promise<boolean>): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < ms) {
    if (await check()) return Date.now() - started;
    await sleep(100);
  }
  return Infinity;
}

(enabled ? describe : describe.skip)('security review, two nodes', () => {
  let node1: TestApp;
  let node2: TestApp;
  let admin: Redis;
  let databaseUrl: string;

  beforeAll(async () => {
    databaseUrl = await mysql!.url();
    const prefix = `parley-sec-${process.pid}-${Date.now().toString(36)}:`;
    const env = { REDIS_URL: REDIS, REDIS_KEY_PREFIX: prefix, WS_MAX_CONNECTIONS_PER_USER: '3' };
    node1 = await startApp(testEnv(databaseUrl, { ...env, NODE_ID: 'sec-1' }));
    node2 = await startApp(testEnv(databaseUrl, { ...env, NODE_ID: 'sec-2' }));
    admin = new Redis(REDIS!);
  }, 30_000);
  afterAll(async () => {
    closeAllSockets();
    admin?.disconnect();
    await node1?.close();
    await node2?.close();
  });

  /** Kills node 2's pub/sub connections only (the Redis server is shared with other suites). */
  async function killSubscribersOf(nodeId: string): Promise<number> {
    const list = (await admin.call('CLIENT', 'LIST', 'TYPE', 'pubsub')) as string;
    const ids = list
      .split('\n')
      .filter((line) => line.includes(`name=${node2.env.REDIS_KEY_PREFIX}${nodeId}`))
      .map((line) => /\bid=(\d+)/.exec(line)?.[1])
      .filter((id): id is string => Boolean(id));
    for (const id of ids) await admin.call('CLIENT', 'KILL', 'ID', id, 'TYPE', 'pubsub');
    return ids.length;
  }

  it('finding 5: a logout while node 2’s subscriber is killed still reaches node 2 (REST and socket) within the bound', async () => {
    const user = await register(node1.url);
    const doomed = await login(node1.url, user.user.email);
    const socket = await connect(node2.url, '/chat', { token: doomed.accessToken });
    const revoked = nextEvent<{ reason: string }>(socket, 'session:revoked', 15_000);
    revoked.catch(() => undefined);
    expect(await killSubscribersOf('sec-2')).toBeGreaterThan(0);
    await request(node1.url).post('/auth/logout').set(bearer(doomed)).expect(204);
    const refused = await within(10_000, async () => (await request(node2.url).get('/auth/me').set(bearer(doomed))).status === 401);
    expect(refused).toBeLessThan(7000);
    await expect(revoked).resolves.toEqual({ reason: 'logout' });
    // the bus works again afterwards
    const next = await login(node1.url, user.user.email);
    const watched = await connect(node2.url, '/chat', { token: next.accessToken });
    const again = nextEvent<{ reason: string }>(watched, 'session:revoked', 3000);
    await request(node1.url).post('/auth/logout').set(bearer(next)).expect(204);
    await expect(again).resolves.toEqual({ reason: 'logout' });
  }, 30_000);

  it('finding 5: even when the bus says nothing at all, a session ended in the database is refused on every node within the bound', async () => {
    const user = await register(node1.url);
    const socket = await connect(node2.url, '/chat', { token: user.accessToken });
    const revoked = nextEvent<{ reason: string }>(socket, 'session:revoked', 15_000);
    revoked.catch(() => undefined);
    const db = await createConnection({ uri: databaseUrl });
    try {
      await db.query("UPDATE sessions SET revoked_at = ?, revoke_reason = 'session_deleted' WHERE user_id = ?", [new Date(), user.user.id]);
    } finally {
      await db.end();
    }
    const started = Date.now();
    for (const node of [node1, node2]) {
      const took = await within(10_000, async () => (await request(node.url).get('/auth/me').set(bearer(user))).status === 401);
      expect(took).toBeLessThan(10_000);
    }
    expect(Date.now() - started).toBeLessThan(7000);
    await expect(revoked).resolves.toEqual({ reason: 'session_deleted' });
  }, 30_000);

  it('finding 6: WS_MAX_CONNECTIONS_PER_USER holds for 30 concurrent handshakes over two nodes, and slots come back on disconnect', async () => {
    const user = await register(node1.url);
    const attempts = await Promise.allSettled(
      Array.from({ length: 30 }, (_, i) => connect(i % 2 ? node2.url : node1.url, '/chat', { token: user.accessToken })),
    );
    const connected = attempts
      .filter((a): a is PromiseFulfilledResult<Awaited<ReturnType<typeof connect>>> => a.status === 'fulfilled')
      .map((a) => a.value);
    const codes = attempts
      .filter((a): a is PromiseRejectedResult => a.status === 'rejected')
      .map((a) => (a.reason as { data?: { code: string } }).data?.code);
    expect(connected.length).toBe(3);
    expect(new Set(codes)).toEqual(new Set(['TOO_MANY_CONNECTIONS']));
    connected[0].close();
    const freed = await within(3000, async () =>
      connect(node2.url, '/chat', { token: user.accessToken }).then(
        (socket) => (connected.push(socket), true),
        () => false,
      ),
    );
    expect(freed).toBeLessThan(3000);
    // every slot comes back, whichever of the concurrent handshakes on a node took it
    for (const socket of connected) socket.close();
    const all = await within(3000, async () => {
      const again = await Promise.allSettled([node1, node2, node1].map((node) => connect(node.url, '/chat', { token: user.accessToken })));
      for (const a of again) if (a.status === 'fulfilled') a.value.close();
      return again.every((a) => a.status === 'fulfilled');
    });
    expect(all).toBeLessThan(3000);
  }, 30_000);

  it('finding 6: slots taken by concurrent handshakes of one user on one node all go back to Redis on release', async () => {
    const slots = node1.app.get(ConnectionSlots);
    const user = `concurrent-${Date.now()}`;
    const ids = ['a', 'b', 'c'];
    expect(await Promise.all(ids.map((id) => slots.reserve('/chat', user, id)))).toEqual([true, true, true]);
    for (const id of ids) slots.release('/chat', user, id);
    const key = `${node1.env.REDIS_KEY_PREFIX}ws-slots:/chat|${user}`;
    expect(await within(1000, async () => (await admin.zcard(key)) === 0)).toBeLessThan(1000);
  });

  it('two-factor: a TOTP code accepted on one node is refused on the other (one use per user, across nodes)', async () => {
    const user = await register(node1.url);
    const setup = await request(node1.url).post('/auth/2fa/setup').set(bearer(user)).expect(200);
    const secret = base32Decode(setup.body.secret);
    const step = timeStep(Date.now());
    await request(node1.url)
      .post('/auth/2fa/enable')
      .set(bearer(user))
      .send({ code: hotp(secret, step) })
      .expect(200);
    const challenges = await Promise.all(
      [node1, node2].map(
        async (node) =>
          (await request(node.url).post('/auth/login').send({ email: user.user.email, password: PASSWORD }).expect(200)).body.mfaToken as string,
      ),
    );
    const code = hotp(secret, step + 1);
    const answers = await Promise.all(
      [node1, node2].map((node, i) => request(node.url).post('/auth/login/2fa').send({ mfaToken: challenges[i], code })),
    );
    expect(answers.map((a) => a.status).sort()).toEqual([200, 401]);
  });
});

(enabled ? describe : describe.skip)('security review, Redis stalled', () => {
  let proxy: TcpProxy;
  let node: TestApp;
  /** a second node whose own link to Redis stays up */
  let direct: TestApp;

  beforeAll(async () => {
    const target = new URL(REDIS!);
    proxy = await TcpProxy.start(target.hostname, Number(target.port || 6379));
    const databaseUrl = await mysql!.url();
    const env = { REDIS_KEY_PREFIX: `parley-sec-stall-${process.pid}-${Date.now().toString(36)}:`, WS_MAX_CONNECTIONS_PER_USER: '2' };
    node = await startApp(testEnv(databaseUrl, { ...env, REDIS_URL: proxy.rewrite(REDIS!), NODE_ID: 'stalled' }));
    direct = await startApp(testEnv(databaseUrl, { ...env, REDIS_URL: REDIS, NODE_ID: 'direct' }));
  }, 30_000);
  afterAll(async () => {
    closeAllSockets();
    proxy?.restore();
    await node?.close();
    await direct?.close();
    await proxy?.close();
  });

  it('finding 6: a slot given back while the node’s Redis link is stalled is free on the other node soon after the link answers again', async () => {
    const user = await register(node.url);
    const first = await connect(node.url, '/chat', { token: user.accessToken });
    await connect(node.url, '/chat', { token: user.accessToken });
    await expect(connect(direct.url, '/chat', { token: user.accessToken })).rejects.toMatchObject({ data: { code: 'TOO_MANY_CONNECTIONS' } });
    proxy.stall();
    // past the node's unanswered ping (1 s each second: it now counts Redis as down) ...
    await sleep(2500);
    first.close();
    // ... and past the ZREM's command timeout (2 s)
    await sleep(2500);
    proxy.restore();
    const freed = await within(8000, async () =>
      connect(direct.url, '/chat', { token: user.accessToken }).then(
        () => true,
        () => false,
      ),
    );
    // the slot's own expiry is 30 s away: only the retried release frees it this soon
    expect(freed).toBeLessThan(8000);
  }, 30_000);

  it('finding 10: a logout answers once the database has the session ended, without waiting out a Redis stall', async () => {
    const user = await register(node.url);
    proxy.stall();
    const started = Date.now();
    await request(node.url).post('/auth/logout').set(bearer(user)).timeout(5000).expect(204);
    expect(Date.now() - started).toBeLessThan(500);
    // refused here at once
    await request(node.url).get('/auth/me').set(bearer(user)).expect(401);
    proxy.restore();
  }, 30_000);
});
