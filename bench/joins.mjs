// Server CPU per resuming room:join: what a reconnect storm costs per socket on one core.
// node bench/joins.mjs [--sockets 400] [--rounds 5] [--missed 20] [--database mysql://…] [--script dist/main.js]
// One room with 300 messages; every socket joins, then each round all leave and rejoin with
// `since` `--missed` messages back (the join answers those, the online list and the edits since).
// Server on the bench's core budget (every thread pinned), the clients on the other cores.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { io } from 'socket.io-client';
import {
  commandLine,
  coreBudget,
  cpuSecondsOf,
  flag,
  median,
  mintAccessToken,
  parleyEnv,
  pinSelf,
  registerUsers,
  startServer,
  stopServer,
} from './lib.mjs';

commandLine(import.meta.url, ['sockets', 'rounds', 'missed', 'database', 'script']);
const SOCKETS = Number(flag('sockets', 400));
const ROUNDS = Number(flag('rounds', 5));
const MISSED = Number(flag('missed', 20));
const databaseUrl = String(flag('database', `sqlite:${join(mkdtempSync(join(tmpdir(), 'bench-joins-')), 'app.sqlite')}`));
const port = 3215;
const url = `http://127.0.0.1:${port}`;
const budget = coreBudget();
pinSelf(budget.clients);
const server = await startServer(String(flag('script', 'dist/main.js')), parleyEnv({ port, databaseUrl, bcryptCost: 4 }), {
  port,
  cores: budget.server,
});
const users = (await registerUsers(url, 20, 'joins')).map((u) => ({ id: u.user.id, displayName: u.user.displayName }));
const connect = (k) =>
  new Promise((resolve, reject) => {
    const socket = io(`${url}/chat`, { transports: ['websocket'], auth: { token: mintAccessToken(users[k % users.length], `joins-${k}`) } });
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', reject);
  });
const sockets = await Promise.all(Array.from({ length: SOCKETS }, (_, k) => connect(k)));
const room = 'bench-joins';
const ids = [];
await sockets[0].emitWithAck('room:join', { room });
for (let i = 0; i < 300; i++)
  ids.push((await sockets[0].emitWithAck('message:send', { room, body: `message ${i} `.repeat(8), clientMsgId: `j${i}` })).data.id);
for (const socket of sockets) await socket.emitWithAck('room:join', { room });
const rounds = [];
for (let r = 0; r < ROUNDS; r++) {
  await Promise.all(sockets.map((s) => s.emitWithAck('room:leave', { room })));
  const since = ids[ids.length - 1 - MISSED];
  const cpu0 = cpuSecondsOf(server.child.pid);
  const t0 = performance.now();
  const acks = await Promise.all(sockets.map((s) => s.emitWithAck('room:join', { room, since })));
  const ms = performance.now() - t0;
  const usPerJoin = ((cpuSecondsOf(server.child.pid) - cpu0) * 1e6) / SOCKETS;
  const wrong = acks.filter((a) => !a.ok || a.data.history.length !== MISSED).length;
  if (wrong > 0) throw new Error(`${wrong} joins did not answer the ${MISSED} missed messages`);
  rounds.push({ ms, usPerJoin });
  console.log(`round ${r + 1}: ${SOCKETS} resuming joins in ${ms.toFixed(0)} ms, server CPU ${usPerJoin.toFixed(0)} µs per join`);
}
for (const socket of sockets) socket.close();
await stopServer(server);
const m = median(rounds, (r) => r.usPerJoin);
console.log(`median round: ${m.usPerJoin.toFixed(0)} µs of server CPU per resuming join (${databaseUrl.split(':')[0]}; cores: ${budget.note})`);
