import request from 'supertest';
import { Socket } from 'socket.io-client';
import { DATABASES, startApp, testEnv, TestApp } from './support/app';
import { closeAllSockets, connect, emitAck, register, sleep } from './support/clients';
import { TcpProxy } from './support/tcp-proxy';

/**
 * What a client on another node sees of the messages sent during a Redis outage — the
 * figures docs/deploy.md states. The near node reaches Redis through a TCP proxy that is
 * stalled (Redis paused, a partition TCP outlives) or cut (Redis restarted, connections reset)
 * for 3 s while 50 messages are sent; the far node's client is watched throughout.
 */
const REDIS = process.env.TEST_REDIS_URL;
const mysql = DATABASES.find((d) => d.name === 'mysql');
if (!mysql || !REDIS) console.info('Redis outage suite skipped: it needs TEST_MYSQL_URL and TEST_REDIS_URL.');

const OUTAGE_MS = 3000;
const COUNT = 50;

async function until(what: string, check: () => Promise<boolean>, limitMs: number): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what} within ${limitMs} ms`);
    await sleep(100);
  }
}

(mysql && REDIS ? describe : describe.skip)('a Redis outage seen from the other node', () => {
  let proxy: TcpProxy;
  let near: TestApp;
  let far: TestApp;

  beforeAll(async () => {
    const databaseUrl = await mysql!.url();
    const target = new URL(REDIS!);
    proxy = await TcpProxy.start(target.hostname, Number(target.port || 6379));
    const env = { REDIS_KEY_PREFIX: `parley-outage-${process.pid}-${Date.now().toString(36)}:`, WS_RATE_LIMIT: '10000/1s' };
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

  /** Sends COUNT messages from `a` during a 3 s fault; returns what `b` received live and when. */
  async function sendThrough(fault: 'stall' | 'cut', a: Socket, b: Socket, room: string) {
    const seen = new Map<string, number>();
    b.on('message:new', (m: { id: string; body: string }) => {
      if (m.body.startsWith(`${fault}-`)) seen.set(m.id, Date.now());
    });
    proxy[fault]();
    // The near node has noticed (a connection error, or a heartbeat unanswered for 1 s).
    await until('readiness did not go 503', async () => (await request(near.url).get('/health/ready')).status === 503, 5000);
    const started = Date.now();
    const ids: string[] = [];
    for (let i = 0; i < COUNT; i++) {
      const ack = await emitAck<{ id: string }>(a, 'message:send', { room, body: `${fault}-${i}`, clientMsgId: `${fault}-${i}` });
      if (!ack.ok) throw new Error(`send refused during the outage: ${JSON.stringify(ack)}`);
      ids.push(ack.data.id);
      await sleep((OUTAGE_MS - 1000) / COUNT); // spread over the outage
    }
    await sleep(Math.max(0, OUTAGE_MS - (Date.now() - started)));
    const liveDuringOutage = seen.size;
    const restoredAt = Date.now();
    proxy.restore();
    await until('readiness did not recover', async () => (await request(near.url).get('/health/ready')).status === 200, 10_000);
    await sleep(2000); // anything still on its way
    return {
      ids,
      liveDuringOutage,
      liveAfter: ids.filter((id) => seen.has(id)).length,
      latestMs: Math.max(0, ...[...seen.values()].map((t) => t - restoredAt)),
    };
  }

  it.each(['stall', 'cut'] as const)(
    '%s: sends all succeed; live delivery across nodes as documented; room:join { since } returns every one',
    async (fault) => {
      const room = `outage-${fault}`;
      const alice = await register(near.url);
      const bob = await register(far.url);
      const a = await connect(near.url, '/chat', { token: alice.accessToken });
      const b = await connect(far.url, '/chat', { token: bob.accessToken });
      await emitAck(a, 'room:join', { room });
      await emitAck(b, 'room:join', { room });
      // Before the outage a message crosses at once; it is where the far client's history stands.
      const warmUp = new Promise<string>((resolve) => b.once('message:new', (m: { id: string }) => resolve(m.id)));
      await emitAck(a, 'message:send', { room, body: 'before the outage' });
      const since = await warmUp;

      const result = await sendThrough(fault, a, b, room);
      console.info(
        `Redis ${fault} ${OUTAGE_MS} ms: ${result.liveAfter}/${COUNT} reached the far node live (${result.liveDuringOutage} during the outage, the last ${result.latestMs} ms after repair)`,
      );
      expect(result.liveDuringOutage).toBe(0);
      if (fault === 'stall') {
        // Held bytes are forwarded when the link resumes: every publish reaches Redis, late.
        expect(result.liveAfter).toBe(COUNT);
      } else {
        // A reset connection drops what the publisher could not send: none arrives live.
        expect(result.liveAfter).toBe(0);
      }

      // A client that rejoins with `since` (what the demo client does on reconnect) misses nothing.
      await emitAck(b, 'room:leave', { room });
      const rejoined = await emitAck<{ history: Array<{ id: string }> }>(b, 'room:join', { room, since });
      expect(rejoined.ok).toBe(true);
      expect(rejoined.ok ? rejoined.data.history.map((m) => m.id) : []).toEqual(result.ids);
      a.close();
      b.close();
    },
    60_000,
  );
});
