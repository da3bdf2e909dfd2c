import request from 'supertest';
import { Socket } from 'socket.io-client';
import { DataSource } from 'typeorm';
import { UserEntity } from '../src/users/user.entity';
import { WebhooksService } from '../src/webhooks/webhooks.service';
import { ApiKeysService } from '../src/server-api/api-keys.service';
import { AuthResult, closeAllSockets, connect, emitAck, register, sleep } from './support/clients';
import { DATABASES, Env, removeSqliteFile, startApp, TestApp, testEnv } from './support/app';
import { WebhookReceiver } from './support/webhook-receiver';

type Sent = { id: string; room: string; body: string; createdAt: string };

const webhookEnv = (receiver: WebhookReceiver, extra: Env = {}): Env => ({
  WEBHOOK_URL: receiver.url,
  WEBHOOK_SECRET: receiver.secret,
  WEBHOOK_OFFLINE_DELAY: '1500ms',
  WEBHOOK_UNREAD_DELAY: '1s',
  // test-only: the production waits (10 s … 2 h) are unit-tested in retry-schedule.spec.ts
  WEBHOOK_RETRY_DELAYS: '200ms,200ms,200ms,200ms,200ms',
  WS_RATE_LIMIT: '10000/1s',
  ...extra,
});

async function metric(url: string, line: string): Promise<number> {
  const text = (await request(url).get('/metrics').expect(200)).text;
  const found = text.split('\n').find((l) => l.startsWith(`${line} `));
  return found ? Number(found.split(' ')[1]) : 0;
}

async function send(socket: Socket, room: string, body: string): Promise<Sent> {
  const ack = await emitAck<Sent>(socket, 'message:send', { room, body });
  if (!ack.ok) throw new Error(`send failed: ${JSON.stringify(ack)}`);
  return ack.data;
}

async function dm(socket: Socket, to: string, body: string): Promise<Sent> {
  const ack = await emitAck<Sent>(socket, 'dm:send', { to, body });
  if (!ack.ok) throw new Error(`dm failed: ${JSON.stringify(ack)}`);
  return ack.data;
}

describe.each(DATABASES)('webhooks ($name)', ({ url: databaseUrl }) => {
  const receiver = new WebhookReceiver();
  let t: TestApp;
  let database: string;
  let env: Env;

  beforeAll(async () => {
    await receiver.start();
    database = await databaseUrl();
    env = testEnv(database, webhookEnv(receiver));
    t = await startApp(env);
  });
  afterEach(() => {
    receiver.behave = () => 'ok';
    expect(receiver.violations).toEqual([]);
  });
  afterAll(async () => {
    closeAllSockets();
    await t?.close();
    await receiver.stop();
    removeSqliteFile(database);
  });

  it('POSTs message.created, signed (verified here with node:crypto) as JSON, for room messages and DMs', async () => {
    const alice = await register(t.url, { displayName: 'Alice' });
    const bob = await register(t.url, { displayName: 'Bob' });
    const a = await connect(t.url, '/chat', { token: alice.accessToken });
    await emitAck(a, 'room:join', { room: 'hooks' });
    const inRoom = await send(a, 'hooks', 'hello hooks');
    const direct = await dm(a, bob.user.id, 'hello bob');
    await receiver.waitFor(() => receiver.of('message.created').length >= 2);
    const created = receiver.of('message.created');
    expect(created.map((e) => e.data.message)).toEqual(expect.arrayContaining([expect.objectContaining(inRoom), expect.objectContaining(direct)]));
    for (const event of created) {
      expect(event.at).toBe(event.data.message.createdAt);
      const attempt = receiver.attempts(event.id)[0];
      expect(attempt).toMatchObject({ signed: true, contentType: 'application/json' });
      expect(Math.abs(attempt.t - Date.now() / 1000)).toBeLessThan(60);
    }
    expect(new Set(created.map((e) => e.id)).size).toBe(created.length);
  });

  it('retries a 500, a redirect (not followed) and an answer slower than 5 s, then delivers, counting every attempt', async () => {
    const before = {
      delivered: await metric(t.url, 'parley_webhooks_total{outcome="delivered"}'),
      failed: await metric(t.url, 'parley_webhooks_total{outcome="failed"}'),
    };
    const user = await register(t.url);
    const socket = await connect(t.url, '/chat', { token: user.accessToken });
    await emitAck(socket, 'room:join', { room: 'retries' });
    const plan = ['error', 'redirect', 'slow', 'ok'] as const;
    receiver.behave = (event, attempt) => (event.type === 'message.created' && event.data.message.body === 'retry me' ? plan[attempt - 1] : 'ok');
    const message = await send(socket, 'retries', 'retry me');
    await receiver.waitFor(() => receiver.of('message.created').some((e) => e.data.message.id === message.id), 20_000);
    const target = receiver.of('message.created').find((e) => e.data.message.id === message.id)!.id;
    const attempts = receiver.attempts(target);
    expect(attempts.map((a) => a.answered)).toEqual(['error', 'redirect', 'slow', 'ok']);
    expect(attempts.every((a) => a.signed)).toBe(true);
    // each attempt waited the (test) 200 ms after the previous one ended; the slow one was abandoned at 5 s
    expect(attempts[1].at - attempts[0].at).toBeGreaterThanOrEqual(200);
    expect(attempts[3].at - attempts[2].at).toBeGreaterThanOrEqual(5000);
    expect(await metric(t.url, 'parley_webhooks_total{outcome="failed"}')).toBeGreaterThanOrEqual(before.failed + 3);
    expect(await metric(t.url, 'parley_webhooks_total{outcome="delivered"}')).toBeGreaterThanOrEqual(before.delivered + 1);
  }, 30_000);

  it('drops an event after six failed attempts, and the queue empties', async () => {
    const dropped = await metric(t.url, 'parley_webhooks_total{outcome="dropped"}');
    const user = await register(t.url);
    const socket = await connect(t.url, '/chat', { token: user.accessToken });
    await emitAck(socket, 'room:join', { room: 'drops' });
    receiver.behave = (event) => (event.type === 'message.created' && event.data.message.body === 'never' ? 'error' : 'ok');
    const message = await send(socket, 'drops', 'never');
    await receiver.waitFor(
      () => receiver.received.filter((r) => r.event.type === 'message.created' && r.event.data.message.id === message.id).length >= 6,
    );
    await sleep(800);
    expect(receiver.received.filter((r) => r.event.type === 'message.created' && r.event.data.message.id === message.id)).toHaveLength(6);
    expect(await metric(t.url, 'parley_webhooks_total{outcome="dropped"}')).toBe(dropped + 1);
    const deadline = Date.now() + 5000;
    while ((await metric(t.url, 'parley_webhook_queue_depth')) !== 0 && Date.now() < deadline) await sleep(200);
    expect(await metric(t.url, 'parley_webhook_queue_depth')).toBe(0);
  }, 20_000);

  it('keeps events while the receiver is down and delivers them once it is back', async () => {
    const user = await register(t.url);
    const socket = await connect(t.url, '/chat', { token: user.accessToken });
    await emitAck(socket, 'room:join', { room: 'down' });
    const port = Number(new URL(receiver.url).port);
    await receiver.stop();
    const message = await send(socket, 'down', 'while you were out');
    await sleep(700); // a few refused attempts
    await receiver.start(port);
    await receiver.waitFor(() => receiver.of('message.created').some((e) => e.data.message.id === message.id), 10_000);
  }, 20_000);

  it('user.online on the first socket, nothing for a reload inside the offline delay, user.offline after it', async () => {
    const carol = await register(t.url, { displayName: 'Carol' });
    const mine = () =>
      receiver.received.filter((r) => 'user' in r.event.data && r.event.data.user.id === carol.user.id && r.event.type.startsWith('user.'));
    const first = await connect(t.url, '/chat', { token: carol.accessToken });
    await receiver.waitFor(() => mine().length === 1);
    expect(mine()[0].event).toMatchObject({ type: 'user.online', data: { user: { id: carol.user.id, displayName: 'Carol' } } });
    // a second socket, then the reload of the first: still online throughout
    const second = await connect(t.url, '/chat', { token: carol.accessToken });
    first.close();
    await sleep(300);
    second.close();
    await sleep(300);
    const reloaded = await connect(t.url, '/chat', { token: carol.accessToken });
    await sleep(2500); // past the offline delay
    expect(mine().map((r) => r.event.type)).toEqual(['user.online']);
    reloaded.close();
    const closedAt = Date.now();
    await receiver.waitFor(() => mine().length === 2);
    expect(mine()[1].event).toMatchObject({ type: 'user.offline', data: { user: { id: carol.user.id } } });
    expect(mine()[1].at - closedAt).toBeGreaterThanOrEqual(1400);
  }, 20_000);

  it('message.unread once per unread streak, naming its first message and the recipient', async () => {
    const dan = await register(t.url, { displayName: 'Dan' });
    const erin = await register(t.url, { displayName: 'Erin' });
    const d = await connect(t.url, '/chat', { token: dan.accessToken });
    const first = await dm(d, erin.user.id, 'one');
    await dm(d, erin.user.id, 'two');
    await dm(d, erin.user.id, 'three');
    const mine = () => receiver.of('message.unread').filter((e) => e.data.recipient.id === erin.user.id);
    await receiver.waitFor(() => mine().length >= 1, 5000);
    await sleep(1500);
    expect(mine()).toHaveLength(1);
    expect(mine()[0].data).toEqual({
      message: expect.objectContaining({ id: first.id, body: 'one' }),
      recipient: { id: erin.user.id, displayName: 'Erin' },
    });
    expect(Date.parse(mine()[0].at) - Date.parse(first.createdAt)).toBeGreaterThanOrEqual(1000);
  }, 15_000);

  it('message.unread: a room:read that covers the streak starts a new one (also mid-streak); a DM read inside the delay sends nothing', async () => {
    const kim = await register(t.url, { displayName: 'Kim' });
    const lee = await register(t.url, { displayName: 'Lee' });
    const k = await connect(t.url, '/chat', { token: kim.accessToken });
    const l = await connect(t.url, '/chat', { token: lee.accessToken });
    const read = async (m: Sent) => expect((await emitAck(l, 'room:read', { room: m.room, messageId: m.id })).ok).toBe(true);
    const unread = () =>
      receiver
        .of('message.unread')
        .filter((e) => e.data.recipient.id === lee.user.id)
        .map((e) => e.data.message.body);
    await dm(k, lee.user.id, 'm1');
    const m2 = await dm(k, lee.user.id, 'm2');
    await receiver.waitFor(() => unread().length === 1, 5000);
    await read(m2); // covers m1: the streak is over
    await dm(k, lee.user.id, 'm3');
    const m4 = await dm(k, lee.user.id, 'm4');
    await receiver.waitFor(() => unread().length === 2, 5000);
    await read(m4);
    const m5 = await dm(k, lee.user.id, 'm5');
    await read(m5); // read inside the delay
    await sleep(2000);
    expect(unread()).toEqual(['m1', 'm3']);
    // a read that covers the streak's first message but not all of it: the rest is a new
    // streak, though its first message's own event was dropped while m6 was unread
    const m6 = await dm(k, lee.user.id, 'm6');
    await dm(k, lee.user.id, 'm7');
    await receiver.waitFor(() => unread().length === 3, 5000);
    await sleep(300);
    await read(m6);
    await receiver.waitFor(() => unread().length === 4, 5000);
    await sleep(500);
    expect(unread()).toEqual(['m1', 'm3', 'm6', 'm7']);
  }, 25_000);

  it('room.member_added / room.member_removed for every membership change, with its reason', async () => {
    const [owner, joiner, added, leaver, banned] = await Promise.all(
      ['Olga', 'Joe', 'Ada', 'Lou', 'Ben'].map((displayName) => register(t.url, { displayName })),
    );
    const auth = (a: AuthResult) => ({ Authorization: `Bearer ${a.accessToken}` });
    const room = `members-${Date.now().toString(36)}`;
    await request(t.url).post('/rooms').set(auth(owner)).send({ name: room }).expect(201);
    const j = await connect(t.url, '/chat', { token: joiner.accessToken });
    expect((await emitAck(j, 'room:join', { room })).ok).toBe(true);
    for (const user of [added, leaver, banned])
      await request(t.url).put(`/rooms/${room}/members/${user.user.id}`).set(auth(owner)).send({}).expect(200);
    await request(t.url).delete(`/rooms/${room}/members/${leaver.user.id}`).set(auth(leaver)).expect(204);
    await request(t.url).delete(`/rooms/${room}/members/${added.user.id}`).set(auth(owner)).expect(204);
    await request(t.url).put(`/rooms/${room}/bans/${banned.user.id}`).set(auth(owner)).send({}).expect(204);
    await request(t.url).delete(`/rooms/${room}`).set(auth(owner)).expect(204);
    const changes = () =>
      receiver.received
        .filter(
          (r) =>
            r.answered === 'ok' && (r.event.type === 'room.member_added' || r.event.type === 'room.member_removed') && r.event.data.room === room,
        )
        .map((r) => r.event as Extract<typeof r.event, { type: 'room.member_added' | 'room.member_removed' }>)
        .map((e) => `${e.type === 'room.member_added' ? '+' : '-'}${e.data.user.displayName}:${e.data.reason}`);
    await receiver.waitFor(() => changes().length >= 10);
    await sleep(300);
    expect(changes().sort()).toEqual(
      [
        '+Olga:created',
        '+Joe:joined',
        '+Ada:added',
        '+Lou:added',
        '+Ben:added',
        '-Lou:left',
        '-Ada:removed',
        '-Ben:banned',
        '-Olga:deleted',
        '-Joe:deleted',
      ].sort(),
    );
  });

  it('emit() keeps only the contract fields and commits with the caller transaction (or not at all)', async () => {
    const frank = await register(t.url, { displayName: 'Frank' });
    const webhooks = t.app.get(WebhooksService);
    const dataSource = t.app.get(DataSource);
    // the full row, hash included: emit must keep only the UserSummary fields
    const row = await dataSource
      .getRepository(UserEntity)
      .createQueryBuilder('u')
      .addSelect('u.passwordHash')
      .where('u.id = :id', { id: frank.user.id })
      .getOneOrFail();
    expect(row.passwordHash).toMatch(/^\$2/);
    await dataSource
      .transaction(async (manager) => {
        await webhooks.emit('user.blocked', { user: row, reason: 'rolled back' }, manager);
        throw new Error('abort');
      })
      .catch(() => undefined);
    await dataSource.transaction((manager) => webhooks.emit('user.blocked', { user: row, reason: 'spam' }, manager));
    await receiver.waitFor(() => receiver.of('user.blocked').some((e) => e.data.user.id === frank.user.id));
    await sleep(500);
    const blocked = receiver.of('user.blocked').filter((e) => e.data.user.id === frank.user.id);
    expect(blocked.map((e) => e.data)).toEqual([{ user: { id: frank.user.id, displayName: 'Frank' }, reason: 'spam' }]);
    const raw = JSON.stringify(receiver.received.map((r) => r.event));
    expect(raw).not.toContain(row.passwordHash);
  });

  it('sends user.blocked once when the server API blocks a user (stored with the block), with its reason', async () => {
    const gina = await register(t.url, { displayName: 'Gina' });
    const { key } = await t.app.get(ApiKeysService).create('moderation bot', ['users']);
    await request(t.url).put(`/api/v1/users/${gina.user.id}/block`).set('Authorization', `Bearer ${key}`).send({ reason: 'spam' }).expect(204);
    await receiver.waitFor(() => receiver.of('user.blocked').some((e) => e.data.user.id === gina.user.id));
    await request(t.url).put('/api/v1/users/01ARZ3NDEKTSV4RRFFQ69G5FAV/block').set('Authorization', `Bearer ${key}`).send({}).expect(404);
    await sleep(300);
    expect(
      receiver
        .of('user.blocked')
        .filter((e) => e.data.user.id === gina.user.id)
        .map((e) => e.data),
    ).toEqual([{ user: { id: gina.user.id, displayName: 'Gina' }, reason: 'spam' }]);
  });

  it('a restart inside the delays loses neither the unread nor the offline, and sends no online/offline pair', async () => {
    const gina = await register(t.url, { displayName: 'Gina' });
    const hal = await register(t.url, { displayName: 'Hal' });
    const g = await connect(t.url, '/chat', { token: gina.accessToken });
    const h = await connect(t.url, '/chat', { token: hal.accessToken });
    const about = (id: string) =>
      receiver.received.filter((r) => r.answered === 'ok' && 'user' in r.event.data && r.event.data.user.id === id).map((r) => r.event.type);
    await receiver.waitFor(() => about(gina.user.id).length === 1 && about(hal.user.id).length === 1);
    const message = await dm(g, hal.user.id, 'are you there?');
    void h;
    await t.close(); // drains: both users' offline events are stored, due in 1.5 s
    t = await startApp(env);
    const back = await connect(t.url, '/chat', { token: gina.accessToken }); // Gina comes back inside the delay, Hal does not
    await receiver.waitFor(() => receiver.of('message.unread').some((e) => e.data.message.id === message.id), 8000);
    await receiver.waitFor(() => about(hal.user.id).length === 2, 8000);
    await sleep(1000);
    expect(about(gina.user.id)).toEqual(['user.online']);
    expect(about(hal.user.id)).toEqual(['user.online', 'user.offline']);
    back.close();
  }, 30_000);
});

describe('webhooks with only user.online on', () => {
  const receiver = new WebhookReceiver();
  let t: TestApp;
  let database = '';
  beforeAll(async () => {
    await receiver.start();
    database = await DATABASES[0].url();
    t = await startApp(testEnv(database, webhookEnv(receiver, { WEBHOOK_EVENTS: 'user.online', WEBHOOK_OFFLINE_DELAY: '700ms' })));
  });
  afterAll(async () => {
    closeAllSockets();
    await t?.close();
    await receiver.stop();
    removeSqliteFile(database);
  });

  it('still sends nothing for a reload inside the offline delay, and no user.offline ever', async () => {
    const user = await register(t.url);
    const online = () => receiver.of('user.online').filter((e) => e.data.user.id === user.user.id);
    (await connect(t.url, '/chat', { token: user.accessToken })).close();
    await receiver.waitFor(() => online().length === 1);
    const reloaded = await connect(t.url, '/chat', { token: user.accessToken });
    await sleep(1200);
    expect(online()).toHaveLength(1);
    reloaded.close();
    await sleep(1200); // gone past the delay: the next socket is online again
    await connect(t.url, '/chat', { token: user.accessToken });
    await receiver.waitFor(() => online().length === 2);
    expect(receiver.received.map((r) => r.event.type)).not.toContain('user.offline');
  }, 15_000);
});

const REDIS = process.env.TEST_REDIS_URL;
const mysql = DATABASES.find((d) => d.name === 'mysql');
(REDIS && mysql ? describe : describe.skip)('webhooks on two nodes (MariaDB + Redis)', () => {
  const receiver = new WebhookReceiver();
  let node1: TestApp;
  let node2: TestApp;

  beforeAll(async () => {
    await receiver.start();
    const databaseUrl = await mysql!.url();
    const prefix = `parley-test-${process.pid}-${Date.now().toString(36)}-hooks:`;
    const shared = { REDIS_URL: REDIS, REDIS_KEY_PREFIX: prefix, ...webhookEnv(receiver) };
    node1 = await startApp(testEnv(databaseUrl, { ...shared, NODE_ID: 'hooks-1' }));
    node2 = await startApp(testEnv(databaseUrl, { ...shared, NODE_ID: 'hooks-2' }));
  });
  afterAll(async () => {
    closeAllSockets();
    await node1?.close();
    await node2?.close();
    await receiver.stop();
  });

  it('delivers each event from one node only', async () => {
    const senders: AuthResult[] = await Promise.all([register(node1.url), register(node2.url)]);
    const sockets = await Promise.all([
      connect(node1.url, '/chat', { token: senders[0].accessToken }),
      connect(node2.url, '/chat', { token: senders[1].accessToken }),
    ]);
    await Promise.all(sockets.map((s) => emitAck(s, 'room:join', { room: 'both' })));
    const sent = await Promise.all(Array.from({ length: 200 }, (_, i) => send(sockets[i % 2], 'both', `m${i}`)));
    const ids = new Set(sent.map((m) => m.id));
    const ofThese = () => receiver.of('message.created').filter((e) => ids.has(e.data.message.id));
    await receiver.waitFor(() => ofThese().length >= 200, 20_000);
    await sleep(2000); // a second delivery, if any, would arrive meanwhile
    expect(ofThese()).toHaveLength(200);
    expect(new Set(ofThese().map((e) => e.data.message.id)).size).toBe(200);
  }, 40_000);

  it('counts presence over both nodes: leaving one node while on the other is no offline', async () => {
    const ivy = await register(node1.url, { displayName: 'Ivy' });
    const about = () => receiver.received.filter((r) => 'user' in r.event.data && r.event.data.user.id === ivy.user.id).map((r) => r.event.type);
    const on1 = await connect(node1.url, '/chat', { token: ivy.accessToken });
    await receiver.waitFor(() => about().length === 1);
    const on2 = await connect(node2.url, '/chat', { token: ivy.accessToken });
    on1.close();
    await sleep(2500);
    expect(about()).toEqual(['user.online']);
    on2.close();
    await receiver.waitFor(() => about().length === 2, 5000);
    expect(about()).toEqual(['user.online', 'user.offline']);
  }, 20_000);
});
