// /live subscribers for bench/live.mjs: connects its share of sockets, subscribes each to the
// channel, reports ready; counts `publication` events and samples their end-to-end latency
// (the publisher puts its send time in `data.sentAt`) until told to report.
import { io } from 'socket.io-client';

// the orchestrator is gone (it ended or crashed): so is this load
process.once('disconnect', () => process.exit(0));
const { cfg } = await new Promise((resolve) => process.once('message', resolve));
const now = () => performance.timeOrigin + performance.now();
const sockets = [];
const latencies = [];
let delivered = 0;
let counting = false;

async function open(token) {
  const socket = io(`${cfg.url}/live`, { auth: { token }, transports: ['websocket'], reconnection: false, forceNew: true });
  await new Promise((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('connect_error', (e) => reject(new Error(e.data?.code ?? e.message)));
  });
  const ack = await socket.timeout(30_000).emitWithAck('channel:subscribe', { channel: cfg.channel });
  if (!ack.ok) throw new Error(`channel:subscribe: ${JSON.stringify(ack.error)}`);
  socket.on('publication', (p) => {
    if (!counting) return;
    if (++delivered % cfg.sampleEvery === 0) latencies.push(now() - p.data.sentAt);
  });
  sockets.push(socket);
}

try {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(50, cfg.tokens.length) }, async () => {
      while (next < cfg.tokens.length) await open(cfg.tokens[next++]);
    }),
  );
} catch (error) {
  process.send({ type: 'error', error: String(error?.message ?? error) }, () => process.exit(1));
  await new Promise(() => {});
}
process.send({ type: 'ready' });
process.on('message', (m) => {
  if (m.type === 'go') counting = true;
  if (m.type === 'report') {
    counting = false;
    process.send({ type: 'report', delivered, latencies });
    delivered = 0;
    latencies.length = 0;
  }
  if (m.type === 'close') {
    for (const s of sockets) s.close();
    process.send({ type: 'closed' }, () => process.exit(0));
  }
});
