// npm run bench [-- --quick]: Parley against a bare Socket.IO peer and a jwt.verify peer, same
// load, same machine, servers side by side and measured in interleaved rounds; figures
// appended to bench/RESULTS.md.
import { appendFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import jwt from 'jsonwebtoken';
import { createConnection } from 'mysql2/promise';
import { fanout } from './load/fanout.mjs';
import { handshakes } from './load/handshakes.mjs';
import { BENCH_SECRETS, MEMORY_PROBE_ARGS, cpuSecondsOf, machine, memoryAfterGc, parleyEnv, post, registerUsers, root, startServer, stopServer } from './lib.mjs';
import { run as verifyBench } from './micro/verify-token.mjs';
import { run as guardBench } from './micro/ws-guard.mjs';
import { run as bcryptBench } from './micro/bcrypt.mjs';

const quick = process.argv.includes('--quick');
const ROOMS = 10;
const MEMBERS = quick ? 5 : 10;
const DURATION = quick ? 3000 : 6000;
const HANDSHAKES = quick ? 300 : 1000;
const IDLE_SOCKETS = quick ? 1000 : 10_000;
const MYSQL = process.env.BENCH_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/parley_bench';

const sign = (claims) => jwt.sign(claims, BENCH_SECRETS.JWT_ACCESS_SECRET, { algorithm: 'HS256', expiresIn: 3600, issuer: 'parley', audience: 'parley-clients' });

/** Registers `count` users; returns one real login token each plus `extra` minted tokens (distinct sids). */
async function parleyTokens(url, count, extra) {
  const users = await registerUsers(url, count);
  const minted = Array.from({ length: extra }, (_, k) => {
    const u = users[k % users.length].user;
    // A real access token differs from this one only in its session id: verification never reads
    // the database, so a fresh sid per handshake exercises exactly the same path.
    return sign({ sub: u.id, sid: `bench-${k}`, role: 'user', name: u.displayName, ev: false, typ: 'access', jti: `j${k}` });
  });
  return { tokens: users.map((u) => u.accessToken), minted };
}

async function freshMysql() {
  const url = new URL(MYSQL);
  const db = url.pathname.slice(1);
  const conn = await createConnection({ uri: MYSQL.replace(/\/[^/]*$/, '/') });
  await conn.query(`DROP DATABASE IF EXISTS \`${db}\``);
  await conn.query(`CREATE DATABASE \`${db}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  await conn.end();
  return MYSQL;
}

// BENCH_ROUNDS=5 for steadier medians on a noisy machine
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const fanoutLoad = (url, tokens) => ({ url, tokens, rooms: ROOMS, workers: 2, sendersPerWorker: Math.ceil(tokens.length / 2), inFlight: 2, durationMs: DURATION });
/** Distinct tokens: a round of handshakes each, one more for the warm-up, or the idle sockets. */
const MINTED = Math.max((ROUNDS + 1) * HANDSHAKES, IDLE_SOCKETS);
const median = (runs, key) => [...runs].sort((a, b) => key(a) - key(b))[Math.floor(runs.length / 2)];

/** One fan-out run, with the server CPU it cost per delivered message. */
async function measureFanout(target) {
  const cpuBefore = cpuSecondsOf(target.server.child.pid);
  const fan = await fanout(fanoutLoad(target.url, target.tokens));
  // what the server spends per delivered message, whatever share of the cores the clients left it
  fan.serverCpuUsPerDelivered = ((cpuSecondsOf(target.server.child.pid) - cpuBefore) * 1e6) / fan.delivered;
  console.log(
    `${target.name}: ${fan.sendsPerSec.toFixed(0)} sends/s, ${fan.deliveredPerSec.toFixed(0)} delivered/s, ack p50 ${fan.ack.p50.toFixed(1)} p99 ${fan.ack.p99.toFixed(1)} ms, e2e p50 ${fan.e2e.p50.toFixed(1)} p99 ${fan.e2e.p99.toFixed(1)} ms, failed ${fan.failed}, client CPU ${fan.clientCpuPct.toFixed(0)}%, server ${fan.serverCpuUsPerDelivered.toFixed(1)} µs per delivered`,
  );
  return fan;
}

/**
 * The fan-out without and then with 20 logins/s at bcrypt cost 12 arriving, back to back, so
 * that both halves of the comparison see the same state of this shared machine.
 */
async function measureStorm(target, email) {
  const calm = await fanout(fanoutLoad(target.url, target.tokens));
  let stop = false;
  const logins = { ok: 0, refused: 0 };
  const pending = [];
  const storming = (async () => {
    while (!stop) {
      pending.push(post(target.url, '/auth/login', { email, password: 'correct horse battery' }).then(() => logins.ok++, () => logins.refused++));
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  const storm = await fanout(fanoutLoad(target.url, target.tokens));
  stop = true;
  await storming;
  await Promise.all(pending);
  const round = { calm, storm, logins, ratio: storm.ack.p99 / calm.ack.p99 };
  console.log(
    `${target.name}: ack p99 ${calm.ack.p99.toFixed(1)} ms without, ${storm.ack.p99.toFixed(1)} ms during a 20/s login storm (${round.ratio.toFixed(2)}×); ${calm.sendsPerSec.toFixed(0)} → ${storm.sendsPerSec.toFixed(0)} sends/s; logins ${logins.ok} ok, ${logins.refused} refused`,
  );
  return round;
}

/**
 * RSS per idle socket in a fresh server process (memory the load phases left behind would
 * otherwise be reused by the sockets and hide their cost), read after a full GC both times.
 */
async function idleMemory(start, url, tokens) {
  const server = await start();
  try {
    const before = (await memoryAfterGc(server)).rss;
    const idle = await handshakes({ url, tokens, hold: true, parallel: 100 });
    await new Promise((r) => setTimeout(r, 1500));
    const after = (await memoryAfterGc(server)).rss;
    for (const s of idle.sockets) s.close();
    return { rssPerSocket: (after - before) / idle.sockets.length, sockets: idle.sockets.length };
  } finally {
    await stopServer(server);
  }
}

const peerTokens = async () => {
  const tokens = Array.from({ length: ROOMS * MEMBERS }, (_, i) => sign({ sub: `u${i}` }));
  const minted = Array.from({ length: MINTED }, (_, i) => sign({ sub: `m${i}` }));
  return { tokens, minted };
};

/** Every server runs with the memory probe, so RSS is read after a full GC. */
const probed = { ipc: true, nodeArgs: MEMORY_PROBE_ARGS };
const peer = (name, port, env) => ({
  name,
  url: `http://127.0.0.1:${port}`,
  start: () => startServer('bench/peers/bare-server.mjs', { PORT: String(port), ...env }, { port, ...probed }),
  prepare: peerTokens,
});
const parley = (name, port, database) => ({
  name,
  url: `http://127.0.0.1:${port}`,
  start: async () => startServer('dist/main.js', parleyEnv({ port, databaseUrl: await database, bcryptCost: 12 }), { port, ...probed }),
  prepare: () => parleyTokens(`http://127.0.0.1:${port}`, ROOMS * MEMBERS, MINTED),
});
const sqliteUrl = `sqlite:${join(mkdtempSync(join(tmpdir(), 'bench-db-')), 'app.sqlite')}`;
const mysqlUrl = freshMysql();
mysqlUrl.catch(() => undefined);
const candidates = [
  peer('bare socket.io', 3201, {}),
  peer('jwt.verify peer', 3202, { BENCH_JWT_SECRET: BENCH_SECRETS.JWT_ACCESS_SECRET }),
  parley('parley sqlite', 3203, Promise.resolve(sqliteUrl)),
  parley('parley mariadb', 3204, mysqlUrl),
];

// Every server runs side by side and each measurement goes round all of them ROUNDS times,
// the median round counting: a burst of noise on this shared machine then spoils one round of
// one target instead of a target's whole figure.
const targets = [];
for (const candidate of candidates) {
  try {
    const server = await candidate.start();
    targets.push({ ...candidate, server, ...(await candidate.prepare()) });
  } catch (error) {
    console.log(`${candidate.name} skipped: ${error.message.split('\n')[0]}`);
  }
}
const results = targets.map((t) => ({ name: t.name, hsRounds: [], fanRounds: [] }));
try {
  // One untimed pass of each load per server first: JIT and pool warm-up is not what we compare.
  console.log('\n== warm-up (not counted) ==');
  for (const target of targets) {
    await handshakes({ url: target.url, tokens: target.minted.slice(ROUNDS * HANDSHAKES, (ROUNDS + 1) * HANDSHAKES) });
    await fanout({ ...fanoutLoad(target.url, target.tokens), durationMs: DURATION / 2 });
  }
  console.log(`\n== handshakes: ${ROUNDS} rounds of ${HANDSHAKES} ==`);
  for (let round = 0; round < ROUNDS; round++) {
    for (const [i, target] of targets.entries()) {
      const hs = await handshakes({ url: target.url, tokens: target.minted.slice(round * HANDSHAKES, (round + 1) * HANDSHAKES) });
      console.log(`${target.name}: ${hs.perSec.toFixed(0)}/s, connect p50 ${hs.connect.p50.toFixed(1)} ms p99 ${hs.connect.p99.toFixed(1)} ms, failures ${hs.failures}`);
      results[i].hsRounds.push(hs);
    }
  }
  console.log(`\n== fan-out: ${ROUNDS} rounds ==`);
  for (let round = 0; round < ROUNDS; round++) {
    for (const [i, target] of targets.entries()) results[i].fanRounds.push(await measureFanout(target));
  }
  console.log(`\n== login storm: ${ROUNDS} rounds, each the fan-out without and then with the storm ==`);
  const stormers = await Promise.all(
    targets.map(async (target) =>
      target.name.startsWith('parley')
        ? (await post(target.url, '/auth/register', { email: `storm${Date.now()}@example.com`, password: 'correct horse battery', displayName: 'Storm' })).user.email
        : null,
    ),
  );
  for (let round = 0; round < ROUNDS; round++) {
    for (const [i, target] of targets.entries()) if (stormers[i]) (results[i].stormRounds ??= []).push(await measureStorm(target, stormers[i]));
  }
} finally {
  for (const target of targets) await stopServer(target.server);
}
console.log('\n== idle sockets ==');
for (const [i, target] of targets.entries()) {
  const idle = await idleMemory(target.start, target.url, target.minted.slice(0, IDLE_SOCKETS));
  console.log(`${target.name}: RSS per idle socket ${(idle.rssPerSocket / 1024).toFixed(1)} KiB over ${idle.sockets} sockets`);
  Object.assign(results[i], idle);
}
for (const r of results) {
  r.hs = median(r.hsRounds, (h) => h.perSec);
  r.fan = median(r.fanRounds, (f) => f.deliveredPerSec);
  if (r.stormRounds) r.storm = median(r.stormRounds, (s) => s.ratio);
}

const verify = verifyBench();
const guard = guardBench();
const bcrypt = await bcryptBench([12]);

const [bareR, jwtR] = results;
const ratio = (a, b) => (b ? (a / b).toFixed(2) : 'n/a');
const m = machine();
const lines = [
  `\n## ${m.date.slice(0, 10)} — ${quick ? 'quick' : 'full'} run`,
  '',
  `Machine: ${m.cpu}, ${m.memory}, Node ${m.node}; commit ${m.commit}; load average at start ${m.load}.`,
  `Load: ${ROOMS} rooms × ${MEMBERS} members, every member sending flat out with 2 sends in flight for ${DURATION / 1000} s, 2 load-generator processes; ${HANDSHAKES} handshakes with distinct tokens, 50 in parallel. Servers run side by side, each gets one untimed warm-up pass of both loads, then each measurement goes round all of them ${ROUNDS} times; the table shows each target's median round (by handshakes/s, by delivered/s; the login storm's by its ratio to the fan-out run just before it, without the storm); ${IDLE_SOCKETS} idle sockets for RSS (in a fresh server process, RSS read after a full GC before and after).`,
  '',
  '| target | handshakes/s | connect p50 / p99 ms | sends/s (acked) | delivered/s | ack p50 / p99 ms | e2e p50 / p99 ms | client CPU | server CPU µs per delivered | p99 during login storm | RSS/socket KiB |',
  '|---|---|---|---|---|---|---|---|---|---|---|',
  ...results.map(
    (r) =>
      `| ${r.name} | ${r.hs.perSec.toFixed(0)} | ${r.hs.connect.p50.toFixed(1)} / ${r.hs.connect.p99.toFixed(1)} | ${r.fan.sendsPerSec.toFixed(0)} | ${r.fan.deliveredPerSec.toFixed(0)} | ${r.fan.ack.p50.toFixed(1)} / ${r.fan.ack.p99.toFixed(1)} | ${r.fan.e2e.p50.toFixed(1)} / ${r.fan.e2e.p99.toFixed(1)} | ${r.fan.clientCpuPct.toFixed(0)}% | ${r.fan.serverCpuUsPerDelivered.toFixed(1)} | ${r.storm ? `${r.storm.storm.ack.p99.toFixed(1)} (${r.storm.calm.ack.p99.toFixed(1)} without)` : '–'} | ${(r.rssPerSocket / 1024).toFixed(1)} |`,
  ),
  '',
  `Every round, delivered/s: ${results.map((r) => `${r.name} ${r.fanRounds.map((f) => f.deliveredPerSec.toFixed(0)).join(', ')}`).join('; ')}. Handshakes/s: ${results.map((r) => `${r.name} ${r.hsRounds.map((h) => h.perSec.toFixed(0)).join(', ')}`).join('; ')}.`,
  '',
  'Ratios (Parley / peer) against the targets:',
  '',
  ...results
    .filter((r) => r.name.startsWith('parley'))
    .flatMap((r) => [
      `- ${r.name}: handshakes/s ${ratio(r.hs.perSec, jwtR.hs.perSec)}× jwt peer (target ≥ 0.8); delivered/s ${ratio(r.fan.deliveredPerSec, bareR.fan.deliveredPerSec)}× bare (≥ 0.9, every message stored before its ack; server CPU per delivered message ${ratio(r.fan.serverCpuUsPerDelivered, bareR.fan.serverCpuUsPerDelivered)}×); ack p99 ${ratio(r.fan.ack.p99, bareR.fan.ack.p99)}× bare (≤ 1.5); RSS/socket ${ratio(r.rssPerSocket, bareR.rssPerSocket)}× bare (≤ 1.3); p99 in login storm ${r.storm?.ratio.toFixed(2)}× without, median round (≤ 2; every round: ${r.stormRounds?.map((s) => s.ratio.toFixed(2)).join(', ')}; logins in that round: ${r.storm?.logins.ok} ok, ${r.storm?.logins.refused} refused with 503).`,
    ]),
  '',
  `Micro: access-token verification + revocation check p50 ${verify.keyObject.p50.toFixed(2)} µs with a KeyObject (${verify.stringSecret.p50.toFixed(1)} µs with a string secret); WsJwtGuard per event p50 ${guard.p50.toFixed(3)} µs; bcrypt cost 12 compare (one login) p50 ${bcrypt[12].p50.toFixed(0)} ms.`,
];
appendFileSync(join(root, 'bench', 'RESULTS.md'), `${lines.join('\n')}\n`);
console.log(lines.join('\n'));
process.exit(0);
