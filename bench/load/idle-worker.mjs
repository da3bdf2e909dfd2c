// Idle-socket load generator (bench/scale.mjs): many authenticated /chat sockets that do nothing
// but answer the server's heartbeat. It speaks the Socket.IO protocol over a bare WebSocket
// (Engine.IO 4: `0{…}` open, `40/chat,{auth}` connect, `2` ping → `3` pong), a few KB per
// socket instead of socket.io-client's objects, so one load-generator process holds tens of
// thousands. Its sockets leave from several 127.0.0.x source addresses (`localAddresses`): one
// source address has about 28,000 ephemeral ports towards one server port.
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { mintAccessToken } from '../lib.mjs';

// the `ws` that engine.io-client (a dependency of socket.io-client) uses
const require = createRequire(import.meta.url);
const WebSocket = require(require.resolve('ws', { paths: [dirname(require.resolve('engine.io-client'))] }));

// the orchestrator is gone (it ended or crashed): so is this load
process.once('disconnect', () => process.exit(0));
const { cfg } = await new Promise((resolve) => process.once('message', resolve));
const wsUrl = `${cfg.url.replace(/^http/, 'ws')}/socket.io/?EIO=4&transport=websocket`;
const sockets = [];
const failures = {};
let lost = 0; // closed by the server or the network while idle
let pings = 0;
let closing = false;

function open(index) {
  const token = mintAccessToken(cfg.users[index % cfg.users.length], `idle-${index}`, 24 * 3600);
  const localAddress = cfg.localAddresses[index % cfg.localAddresses.length];
  return new Promise((resolve) => {
    const ws = new WebSocket(wsUrl, { localAddress, perMessageDeflate: false });
    let done = false;
    const finish = (ok, why) => {
      if (done) return;
      done = true;
      if (!ok) {
        failures[why] = (failures[why] ?? 0) + 1;
        ws.terminate();
      } else sockets.push(ws);
      resolve(ok);
    };
    const timer = setTimeout(() => finish(false, 'timeout'), 30_000);
    ws.on('message', (raw) => {
      const text = raw.toString();
      if (text === '2') {
        pings++;
        ws.send('3');
      } else if (text.startsWith('0')) ws.send(`40/chat,${JSON.stringify({ token })}`);
      else if (text.startsWith('40/chat')) {
        clearTimeout(timer);
        finish(true);
      } else if (text.startsWith('44/chat')) {
        clearTimeout(timer);
        finish(false, JSON.parse(text.slice(text.indexOf(',') + 1)).data?.code ?? 'refused');
      }
    });
    ws.on('error', (e) => {
      clearTimeout(timer);
      finish(false, e.code ?? e.message);
    });
    ws.on('close', () => {
      clearTimeout(timer);
      if (done && !closing) lost++;
      finish(false, 'closed');
    });
  });
}

const started = performance.now();
let next = cfg.from;
const end = cfg.from + cfg.count;
await Promise.all(
  Array.from({ length: cfg.parallel }, async () => {
    while (next < end) await open(next++);
  }),
);
process.send({ type: 'connected', connected: sockets.length, failures, seconds: (performance.now() - started) / 1000 });
process.on('message', (m) => {
  if (m.type === 'status') process.send({ type: 'status', open: sockets.length - lost, lost, pings });
  if (m.type === 'close') {
    closing = true;
    for (const ws of sockets) ws.terminate();
    process.send({ type: 'closed' }, () => process.exit(0));
  }
});
