import request from 'supertest';
import type { ApiKeyScope, Publication } from '../src/protocol';
import { RedisService } from '../src/redis/redis.service';
import { ApiKeysService } from '../src/server-api/api-keys.service';
import { DATABASES, startApp, testEnv, TestApp, Env } from './support/app';
import { closeAllSockets, connect, emitAck, login, nextEvent, refusal, register, sleep } from './support/clients';

const REDIS = process.env.TEST_REDIS_URL;
const mysql = DATABASES.find((d) => d.name === 'mysql');
const enabled = Boolean(REDIS && mysql);
if (!enabled) console.info('Server API multi-node suite skipped: it needs both TEST_MYSQL_URL and TEST_REDIS_URL.');

const auth = (key: string) => ({ Authorization: `Bearer ${key}` });

/** Polls `probe` until it is true or `ms` have passed; returns how long it took (or Infinity). */
async function within(ms: number, probe: () => Promise<boolean>): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < ms) {
    if (await probe()) return Date.now() - started;
    await sleep(20);
  }
  return Infinity;
}

(enabled ? describe : describe.skip)('server API and /live on two nodes (MariaDB + Redis)', () => {
  let node1: TestApp;
  let node2: TestApp;
  let env: Env;

  beforeAll(async () => {
    const databaseUrl = await mysql!.url();
    env = testEnv(databaseUrl, {
      REDIS_URL: REDIS,
      REDIS_KEY_PREFIX: `parley-api-${process.pid}-${Date.now().toString(36)}:`,
      WS_RATE_LIMIT: '1000/1s',
      API_RATE_LIMIT: '1000/1s',
    });
    node1 = await startApp({ ...env, NODE_ID: 'node-1' });
    node2 = await startApp({ ...env, NODE_ID: 'node-2' });
  });
  /** A key made on node 1, once node 2 knows it too (the bus brings it within milliseconds; the reload within 500 ms). */
  async function sharedKey(name: string, scopes: ApiKeyScope[]): Promise<{ key: string; id: string }> {
    const made = await node1.apiKey(name, scopes);
    const known = await within(1000, async () => (await request(node2.url).get('/api/v1/stats').set(auth(made.key))).status !== 401);
    expect(known).toBeLessThan(1000);
    return made;
  }

  afterAll(async () => {
    closeAllSockets();
    await node1?.close();
    await node2?.close();
  });

  it('fans publications out across nodes with one offset sequence per channel', async () => {
    const alice = await register(node1.url);
    const { key } = await sharedKey('Feed', ['notify']);
    const onNode2 = await connect(node2.url, '/live', { token: alice.accessToken });
    const onNode1 = await connect(node1.url, '/live', { token: alice.accessToken });
    await emitAck(onNode2, 'channel:subscribe', { channel: 'public:cluster' });
    await emitAck(onNode1, 'channel:subscribe', { channel: 'public:cluster' });
    const seen2: number[] = [];
    const seen1: number[] = [];
    onNode2.on('publication', (p: Publication) => seen2.push(p.offset));
    onNode1.on('publication', (p: Publication) => seen1.push(p.offset));
    // concurrently through both nodes: every offset handed out once
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        request(i % 2 ? node2.url : node1.url)
          .post('/api/v1/channels/public:cluster/publications')
          .set(auth(key))
          .send({ data: i }),
      ),
    );
    expect(answers.map((a) => a.status)).toEqual(Array(20).fill(201));
    expect(answers.map((a) => a.body.offset as number).sort((x, y) => x - y)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    await within(2000, async () => seen1.length === 20 && seen2.length === 20);
    expect([...seen2].sort((x, y) => x - y)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect([...seen1].sort((x, y) => x - y)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    // history is shared: a subscriber on the other node recovers what it missed
    const late = await connect(node2.url, '/live', { token: alice.accessToken });
    const ack = await emitAck<{ publications: Publication[]; recovered: boolean; offset: number }>(late, 'channel:subscribe', {
      channel: 'public:cluster',
      since: 15,
    });
    expect(ack.ok && [ack.data.offset, ack.data.recovered, ack.data.publications.map((p) => p.offset)]).toEqual([20, true, [16, 17, 18, 19, 20]]);
    // an idempotency key used on one node holds on the other
    const first = await request(node1.url)
      .post('/api/v1/channels/public:cluster/publications')
      .set(auth(key))
      .send({ data: 'x', idempotencyKey: 'once' });
    const again = await request(node2.url)
      .post('/api/v1/channels/public:cluster/publications')
      .set(auth(key))
      .send({ data: 'y', idempotencyKey: 'once' });
    expect([first.status, again.status, again.body.offset]).toEqual([201, 200, first.body.offset]);
  });

  it('delivers bot messages, deletes and notifications to sockets on the other node', async () => {
    const bob = await register(node2.url);
    const { key, id } = await sharedKey('Cluster bot', ['messages', 'notify']);
    const chat = await connect(node2.url, '/chat', { token: bob.accessToken });
    const live = await connect(node2.url, '/live', { token: bob.accessToken });
    await emitAck(chat, 'room:join', { room: 'cluster-bots' });
    const arrived = nextEvent<{ id: string; sender: unknown }>(chat, 'message:new');
    const posted = await request(node1.url)
      .post('/api/v1/rooms/cluster-bots/messages')
      .set(auth(key))
      .send({ body: 'hello from node 1' })
      .expect(201);
    await expect(arrived).resolves.toMatchObject({ id: posted.body.id, sender: { id: `bot:${id}`, displayName: 'Cluster bot' } });
    const deleted = nextEvent(chat, 'message:deleted');
    await request(node2.url).delete(`/api/v1/rooms/cluster-bots/messages/${posted.body.id}`).set(auth(key)).expect(204);
    await expect(deleted).resolves.toEqual({ room: 'cluster-bots', id: posted.body.id });
    const notes = [nextEvent(chat, 'notification'), nextEvent(live, 'notification')];
    await request(node1.url)
      .post(`/api/v1/users/${bob.user.id}/notifications`)
      .set(auth(key))
      .send({ type: 'ping', data: [1, 2] })
      .expect(202);
    for (const note of notes) await expect(note).resolves.toMatchObject({ type: 'ping', data: [1, 2] });
  });

  it('refuses a revoked key on every node within a second', async () => {
    const { key, id } = await node1.apiKey('Short-lived', ['read']);
    // the other node learns of a new key from the bus
    expect(await within(1000, async () => (await request(node2.url).get('/api/v1/stats').set(auth(key))).status === 200)).toBeLessThan(1000);
    await node1.app.get(ApiKeysService).revoke(id);
    expect(await within(1000, async () => (await request(node2.url).get('/api/v1/stats').set(auth(key))).status === 401)).toBeLessThan(1000);
    await request(node1.url).get('/api/v1/stats').set(auth(key)).expect(401);
  });

  it('blocks a user on every node: sockets, REST, handshakes, logins; unblocking lifts it everywhere', async () => {
    const carol = await register(node1.url);
    const { key } = await sharedKey('Safety', ['users']);
    const socket = await connect(node2.url, '/chat', { token: carol.accessToken });
    const revoked = nextEvent(socket, 'session:revoked', 1000);
    await request(node1.url).put(`/api/v1/users/${carol.user.id}/block`).set(auth(key)).send({ reason: 'abuse' }).expect(204);
    await expect(revoked).resolves.toEqual({ reason: 'blocked' });
    expect(
      await within(
        1000,
        async () =>
          (
            await request(node2.url)
              .get('/auth/me')
              .set({ Authorization: `Bearer ${carol.accessToken}` })
          ).status === 401,
      ),
    ).toBeLessThan(1000);
    expect((await refusal(connect(node2.url, '/live', { token: carol.accessToken }))).data?.code).toBe('SESSION_REVOKED');
    const refused = await request(node2.url).post('/auth/login').send({ email: carol.user.email, password: 'correct horse battery' }).expect(401);
    expect(refused.body.message).toBe('Account blocked');
    await request(node2.url).delete(`/api/v1/users/${carol.user.id}/block`).set(auth(key)).expect(204);
    const back = await login(node1.url, carol.user.email);
    await connect(node2.url, '/chat', { token: back.accessToken });
  });

  it('shares API_RATE_LIMIT across nodes and reports stats of both nodes', async () => {
    const { key } = await sharedKey('Stats', ['read']);
    const stats = await request(node2.url).get('/api/v1/stats').set(auth(key)).expect(200);
    expect(stats.body.nodes.map((n: { node: string }) => n.node).sort()).toEqual(['node-1', 'node-2']);
    const fresh = await node1.apiKey('Limited', ['read']);
    const limited = [
      await startApp({ ...env, NODE_ID: 'node-3', API_RATE_LIMIT: '4/10s' }),
      await startApp({ ...env, NODE_ID: 'node-4', API_RATE_LIMIT: '4/10s' }),
    ];
    try {
      // counted in Redis once each node has its connection (before that, or in an outage, per node)
      for (const node of limited) {
        expect(await within(5000, async () => node.app.get(RedisService).available)).toBeLessThan(5000);
      }
      const statuses: number[] = [];
      for (let i = 0; i < 6; i++)
        statuses.push(
          (
            await request(limited[i % 2].url)
              .get('/api/v1/rooms/x/presence')
              .set(auth(fresh.key))
          ).status,
        );
      expect(statuses).toEqual([200, 200, 200, 200, 429, 429]);
    } finally {
      for (const node of limited) await node.close();
    }
  });
});
