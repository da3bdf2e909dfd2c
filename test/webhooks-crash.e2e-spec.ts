import { Socket } from 'socket.io-client';
import { closeAllSockets, connect, emitAck, register, sleep } from './support/clients';
import { DATABASES, Env, removeSqliteFile, testEnv } from './support/app';
import { killServers, ServerProcess, startServerProcess } from './support/process';
import { WebhookReceiver } from './support/webhook-receiver';

const LANES = 8;

/**
 * kill -9 of the node that is delivering: every message it acknowledged has its
 * message.created stored with it, and the next node delivers each one once the dead node's
 * leases run out.
 */
describe.each(DATABASES)('webhooks: SIGKILL of the delivering node ($name)', ({ url: databaseUrl }) => {
  const receiver = new WebhookReceiver();
  let server: ServerProcess | undefined;
  let restarted: ServerProcess | undefined;
  let database = '';

  beforeAll(() => receiver.start());
  afterAll(async () => {
    closeAllSockets();
    await killServers(server, restarted);
    await receiver.stop();
    removeSqliteFile(database);
  });

  it('loses no event', async () => {
    database = await databaseUrl();
    const env: Env = testEnv(database, {
      WEBHOOK_URL: receiver.url,
      WEBHOOK_SECRET: receiver.secret,
      WEBHOOK_EVENTS: 'message.created',
      WS_RATE_LIMIT: '100000/1s',
    });
    // slow enough answers that the kill lands with a batch in flight
    receiver.latencyMs = 40;
    server = await startServerProcess(env);
    const sender = await register(server.url);
    const socket: Socket = await connect(server.url, '/chat', { token: sender.accessToken });
    expect((await emitAck(socket, 'room:join', { room: 'crash-hooks' })).ok).toBe(true);

    let killed = false;
    let seq = 0;
    const acked = new Set<string>();
    const lane = async () => {
      while (!killed) {
        const ack = await emitAck<{ id: string }>(socket, 'message:send', { room: 'crash-hooks', body: `m${seq++}` }).catch(() => null);
        if (ack?.ok) acked.add(ack.data.id);
      }
    };
    const lanes = Array.from({ length: LANES }, lane);
    const delivered = () => new Set(receiver.of('message.created').map((e) => e.data.message.id));
    await receiver.waitFor(() => delivered().size >= 100 && acked.size >= 300, 30_000, 'deliveries before the kill');
    killed = true;
    server.child.kill('SIGKILL');
    expect(await server.exited).toBe('SIGKILL');
    socket.close();
    await Promise.all(lanes);
    const deliveredBeforeRestart = delivered().size;
    expect(deliveredBeforeRestart).toBeLessThan(acked.size); // the kill left events behind

    receiver.latencyMs = 0;
    restarted = await startServerProcess(env);
    // the dead node's leases (15 s) run out, then the new node delivers what they held
    await receiver.waitFor(() => [...acked].every((id) => delivered().has(id)), 45_000, 'every acknowledged message');
    await sleep(1000);
    // duplicates are allowed (at least once) only for the batch the kill interrupted
    const deliveries = receiver.of('message.created').length;
    expect(deliveries - delivered().size).toBeLessThanOrEqual(32);
    expect(receiver.violations).toEqual([]);
  }, 120_000);
});

const REDIS = process.env.TEST_REDIS_URL;
const mysql = DATABASES.find((d) => d.name === 'mysql');

/** user.online / user.offline when a node dies: its sockets expire, reconnects elsewhere count as never gone. */
(REDIS && mysql ? describe : describe.skip)('webhooks: presence through a SIGKILL of a node (MariaDB + Redis)', () => {
  const receiver = new WebhookReceiver();
  let node1: ServerProcess | undefined;
  let node2: ServerProcess | undefined;

  beforeAll(() => receiver.start());
  afterAll(async () => {
    closeAllSockets();
    await killServers(node1, node2);
    await receiver.stop();
  });

  it('sends no pair for a user who reconnects to another node, and user.offline for one who does not', async () => {
    const env = testEnv(await mysql!.url(), {
      REDIS_URL: REDIS,
      REDIS_KEY_PREFIX: `parley-hooks-proc-${process.pid}-${Date.now().toString(36)}:`,
      WEBHOOK_URL: receiver.url,
      WEBHOOK_SECRET: receiver.secret,
      WEBHOOK_EVENTS: 'user.online,user.offline',
      WEBHOOK_OFFLINE_DELAY: '1500ms',
    });
    node1 = await startServerProcess({ ...env, NODE_ID: 'hooks-proc-1' });
    node2 = await startServerProcess({ ...env, NODE_ID: 'hooks-proc-2' });
    const stays = await register(node1.url);
    const leaves = await register(node1.url);
    const about = (id: string) => receiver.received.filter((r) => 'user' in r.event.data && r.event.data.user.id === id).map((r) => r.event.type);
    await connect(node1.url, '/chat', { token: stays.accessToken });
    await connect(node1.url, '/chat', { token: leaves.accessToken });
    await receiver.waitFor(() => about(stays.user.id).length === 1 && about(leaves.user.id).length === 1);

    node1.child.kill('SIGKILL');
    await node1.exited;
    const back = await connect(node2.url, '/chat', { token: stays.accessToken }); // a client reconnecting elsewhere
    // node 1's heartbeat expires after 10 s; node 2 sweeps its sockets out on its next beat
    await receiver.waitFor(() => about(leaves.user.id).length === 2, 25_000, 'the offline of the user who did not come back');
    expect(about(leaves.user.id)).toEqual(['user.online', 'user.offline']);
    await sleep(2000);
    expect(about(stays.user.id)).toEqual(['user.online']);
    back.close();
    await receiver.waitFor(() => about(stays.user.id).length === 2, 5000);
    expect(about(stays.user.id)).toEqual(['user.online', 'user.offline']);
  }, 90_000);
});
