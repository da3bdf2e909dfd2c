import request from 'supertest';
import { Ack, AuthResult, closeAllSockets, connect, emitAck, register, sleep } from './support/clients';
import { DATABASES, Env, testEnv } from './support/app';
import { killServers, ServerProcess, startServerProcess } from './support/process';

const REDIS = process.env.TEST_REDIS_URL;
const mysql = DATABASES.find((d) => d.name === 'mysql');
const enabled = Boolean(REDIS && mysql);
if (!enabled) console.info('Multi-process suite skipped: it needs both TEST_MYSQL_URL and TEST_REDIS_URL.');

type Online = Ack<{ online: Array<{ id: string }> }>;

/** Two real Parley processes on one MariaDB database and one Redis. */
(enabled ? describe : describe.skip)('two Parley processes', () => {
  let node1: ServerProcess;
  let node2: ServerProcess;
  let env: Env;

  beforeAll(async () => {
    env = testEnv(await mysql!.url(), {
      REDIS_URL: REDIS,
      REDIS_KEY_PREFIX: `parley-proc-${process.pid}-${Date.now().toString(36)}:`,
      NODE_ENV: 'production',
      WS_RATE_LIMIT: '10000/1s',
    });
    node1 = await startServerProcess({ ...env, NODE_ID: 'proc-1' }); // applies the migrations
    node2 = await startServerProcess({ ...env, NODE_ID: 'proc-2' });
  }, 90_000);

  afterAll(async () => {
    closeAllSockets();
    await killServers(node1, node2);
  });

  it('forgets the presence of a node killed with SIGKILL', async () => {
    const alice = await register(node1.url);
    const bob = await register(node2.url);
    const a = await connect(node1.url, '/chat', { token: alice.accessToken });
    const b = await connect(node2.url, '/chat', { token: bob.accessToken, transports: ['websocket'] });
    await emitAck(a, 'room:join', { room: 'mortal' });
    await emitAck(b, 'room:join', { room: 'mortal' });
    const before = (await emitAck(a, 'presence:list', { room: 'mortal' })) as Online;
    expect(before.ok && before.data.online.length).toBe(2);

    node2.child.kill('SIGKILL');
    await node2.exited;
    b.close();
    const deadline = Date.now() + 30_000;
    let online: string[] = [];
    while (Date.now() < deadline) {
      const list = (await emitAck(a, 'presence:list', { room: 'mortal' })) as Online;
      online = list.ok ? list.data.online.map((u) => u.id) : online;
      if (online.length === 1) break;
      await sleep(200);
    }
    expect(online).toEqual([alice.user.id]);
  }, 40_000);

  it('loses nothing acknowledged when a node is stopped with SIGTERM under load', async () => {
    const sender: AuthResult = await register(node1.url);
    const socket = await connect(node1.url, '/chat', { token: sender.accessToken });
    await emitAck(socket, 'room:join', { room: 'rolling' });
    const acked: string[] = [];
    let seq = 0;
    let stopping: number | null = null;
    const lane = async () => {
      while (socket.connected) {
        const i = seq++;
        const ack = await emitAck<{ id: string }>(socket, 'message:send', { room: 'rolling', body: `m${i}`, clientMsgId: `r${i}` }).catch(
          (): Ack<{ id: string }> => ({ ok: false, error: { code: 'TIMEOUT', message: '' } }),
        );
        if (ack.ok) acked.push(ack.data.id);
        if (acked.length === 100 && stopping === null) {
          stopping = Date.now();
          node1.child.kill('SIGTERM');
        }
      }
    };
    await Promise.all(Array.from({ length: 20 }, lane));
    const code = await node1.exited;
    expect(Date.now() - (stopping ?? 0)).toBeLessThan(10_000);
    expect([0, 'SIGTERM']).toContain(code); // Nest re-raises the signal once it has shut down cleanly

    // read back through the surviving cluster: a fresh node on the same database
    const reader = await startServerProcess({ ...env, NODE_ID: 'proc-3' });
    try {
      const stored: string[] = [];
      let before = '';
      for (;;) {
        const page = await request(reader.url).get(`/rooms/rolling/messages?limit=100${before}`).set('Authorization', `Bearer ${sender.accessToken}`);
        expect(page.status).toBe(200);
        stored.unshift(...page.body.messages.map((m: { id: string }) => m.id));
        if (!page.body.hasMore) break;
        before = `&before=${page.body.messages[0].id}`;
      }
      expect(stored.sort()).toEqual([...acked].sort());
    } finally {
      await killServers(reader);
    }
  }, 60_000);
});
