// One fan-out load-generator process (bench/load/fanout.mjs): gets its share of sockets over
// IPC, connects and joins them, reports ready; on go, its senders send flat out with a bounded
// number of sends in flight each; after the window and the last ack it reports counts,
// latencies and its own CPU (stopped), then closes its sockets when told (close).
import { io } from 'socket.io-client';

// the orchestrator is gone (it ended or crashed): so is this load
process.once('disconnect', () => process.exit(0));
const { cfg } = await new Promise((resolve) => process.once('message', resolve));
const sockets = [];
const ackLatencies = [];
const deliveryLatencies = [];
let acked = 0;
let failed = 0;
let delivered = 0;
// wall-clock milliseconds with sub-millisecond precision, comparable between processes
const now = () => performance.timeOrigin + performance.now();

function connect(url, token) {
  const socket = io(`${url}/chat`, { auth: { token }, transports: ['websocket'], reconnection: false, forceNew: true });
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', (e) => reject(new Error(e.data?.code ?? e.message)));
  });
}

async function join(i) {
  const index = cfg.from + i;
  const member = Math.floor(index / cfg.rooms);
  const room = `${cfg.roomPrefix}-${index % cfg.rooms}`;
  const socket = await connect(cfg.urls[member % cfg.urls.length], cfg.tokens[i]);
  const ack = await socket.timeout(30_000).emitWithAck('room:join', { room });
  if (!ack.ok) throw new Error(`room:join ${room}: ${JSON.stringify(ack.error)}`);
  socket.on('message:new', (m) => {
    if (++delivered % cfg.sampleEvery === 0) deliveryLatencies.push(now() - Number(m.body.split(':')[0]));
  });
  sockets[i] = { socket, room, sender: member < cfg.senders };
}

try {
  let next = 0;
  const lane = async () => {
    while (next < cfg.tokens.length) await join(next++);
  };
  await Promise.all(Array.from({ length: Math.min(50, cfg.tokens.length) }, lane));
} catch (error) {
  process.send({ type: 'error', error: String(error?.message ?? error) }, () => process.exit(1));
  await new Promise(() => {});
}
process.send({ type: 'ready' });

await new Promise((resolve) => process.once('message', resolve)); // go
const cpuStart = process.cpuUsage();
const started = performance.now();
const stopAt = started + cfg.durationMs;
let lastAck = started;
let seq = 0;
async function sender({ socket, room }) {
  while (performance.now() < stopAt) {
    const t0 = performance.now();
    const ack = await socket
      .timeout(10_000)
      .emitWithAck('message:send', { room, body: `${now()}:${seq++}`, clientMsgId: `${process.pid}-${seq}` })
      .catch(() => ({ ok: false }));
    lastAck = performance.now();
    if (ack.ok) {
      acked++;
      ackLatencies.push(lastAck - t0);
    } else failed++;
  }
}
await Promise.all(sockets.filter((s) => s.sender).flatMap((s) => Array.from({ length: cfg.inFlight }, () => sender(s))));
await new Promise((r) => setTimeout(r, 300)); // let the last deliveries land
const cpu = process.cpuUsage(cpuStart);
process.send({
  type: 'stopped',
  acked,
  failed,
  delivered,
  ackLatencies,
  deliveryLatencies,
  sendWindowMs: lastAck - started,
  cpuMs: (cpu.user + cpu.system) / 1000,
});
await new Promise((resolve) => process.on('message', (m) => m.type === 'close' && resolve()));
for (const { socket } of sockets) socket.close();
process.exit(0);
