// One load-generator process: connects its share of sockets, joins rooms, sends flat out with a
// bounded number of sends in flight per socket, and reports counts, latencies and its own CPU.
import { io } from 'socket.io-client';

const cfg = JSON.parse(process.argv[2]);
const sockets = [];
const ackLatencies = [];
const deliveryLatencies = [];
let acked = 0;
let failed = 0;
let delivered = 0;

function connect(token) {
  const socket = io(`${cfg.url}/chat`, { auth: { token }, transports: ['websocket'], reconnection: false, forceNew: true });
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', (e) => reject(new Error(e.data?.code ?? e.message)));
  });
}

const cpuStart = process.cpuUsage();
for (const [i, token] of cfg.tokens.entries()) {
  const socket = await connect(token);
  const room = `bench-${(cfg.offset + i) % cfg.rooms}`;
  await socket.emitWithAck('room:join', { room });
  socket.on('message:new', (m) => {
    delivered++;
    const sentAt = Number(m.body.split(':')[0]);
    if (delivered % 10 === 0) deliveryLatencies.push(Date.now() - sentAt);
  });
  sockets.push({ socket, room });
}
process.send({ type: 'ready' });

await new Promise((resolve) => process.once('message', resolve)); // go
const stopAt = Date.now() + cfg.durationMs;
let seq = 0;
async function sender({ socket, room }) {
  while (Date.now() < stopAt) {
    const start = performance.now();
    const ack = await socket.timeout(10_000).emitWithAck('message:send', { room, body: `${Date.now()}:${seq++}`, clientMsgId: `${process.pid}-${seq}` }).catch(() => ({ ok: false }));
    if (ack.ok) {
      acked++;
      ackLatencies.push(performance.now() - start);
    } else failed++;
  }
}
const senders = sockets.slice(0, cfg.senders);
await Promise.all(senders.flatMap((s) => Array.from({ length: cfg.inFlight }, () => sender(s))));
await new Promise((r) => setTimeout(r, 500)); // let deliveries land
const cpu = process.cpuUsage(cpuStart);
for (const { socket } of sockets) socket.close();
// exit only once the report has left: process.send is asynchronous
process.send({ type: 'done', acked, failed, delivered, ackLatencies, deliveryLatencies, cpuMs: (cpu.user + cpu.system) / 1000 }, () => process.exit(0));
