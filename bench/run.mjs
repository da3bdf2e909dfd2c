// npm run bench [-- --quick]: Parley against a bare Socket.IO peer and a jwt.verify peer, same
// load, same machine, one run; figures appended to bench/RESULTS.md.
import { appendFileSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import jwt from 'jsonwebtoken';
import { createConnection } from 'mysql2/promise';
import { fanout } from './load/fanout.mjs';
import { handshakes } from './load/handshakes.mjs';
import { BENCH_SECRETS, MEMORY_PROBE_ARGS, machine, memoryAfterGc, root, startServer, stopServer } from './lib.mjs';
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

async function post(url, path, body) {
  const res = await fetch(`${url}${path}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return res.json();
}

/** Registers `count` users; returns one real login token each plus `extra` minted tokens (distinct sids). */
async function parleyTokens(url, count, extra) {
  const users = [];
  for (let i = 0; i < count; i += 8) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(8, count - i) }, (_, j) =>
        post(url, '/auth/register', { email: `bench${Date.now()}-${i + j}@example.com`, password: 'correct horse battery', displayName: `B${i + j}` }),
      ),
    );
    users.push(...batch);
  }
  const minted = Array.from({ length: extra }, (_, k) => {
    const u = users[k % users.length].user;
    // A real access token differs from this one only in its session id: verification never reads
    // the database, so a fresh sid per handshake exercises exactly the same path.
    return sign({ sub: u.id, sid: `bench-${k}`, role: 'user', name: u.displayName, ev: false, typ: 'access', jti: `j${k}` });
  });
  return { tokens: users.map((u) => u.accessToken), minted, users };
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

/** CPU seconds (user + system) the process has used so far. */
async function cpuSecondsOf(pid) {
  const { readFileSync } = await import('node:fs');
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
}

async function measureTarget(name, start, prepare) {
  console.log(`\n== ${name} ==`);
  const server = await start();
  try {
    const { url, tokens, minted } = await prepare();
    // three rounds of fresh tokens, the median round counts: one round lasts about a second,
    // short enough for a GC pause or a neighbour on this shared machine to skew it
    const rounds = [];
    for (let r = 0; r < 3; r++) rounds.push(await handshakes({ url, tokens: minted.slice(r * HANDSHAKES, (r + 1) * HANDSHAKES) }));
    const hs = rounds.sort((a, b) => a.perSec - b.perSec)[1];
    console.log(`handshakes: ${hs.perSec.toFixed(0)}/s, connect p50 ${hs.connect.p50.toFixed(1)} ms p99 ${hs.connect.p99.toFixed(1)} ms, failures ${hs.failures}`);
    const cpuBefore = await cpuSecondsOf(server.child.pid);
    const fan = await fanout({ url, tokens, rooms: ROOMS, workers: 2, sendersPerWorker: Math.ceil(tokens.length / 2), inFlight: 2, durationMs: DURATION });
    // what the server spends per delivered message, whatever share of the cores the clients left it
    fan.serverCpuUsPerDelivered = (((await cpuSecondsOf(server.child.pid)) - cpuBefore) * 1e6) / fan.delivered;
    console.log(`server CPU per delivered message: ${fan.serverCpuUsPerDelivered.toFixed(1)} µs`);
    console.log(`fan-out: ${fan.sendsPerSec.toFixed(0)} sends/s, ${fan.deliveredPerSec.toFixed(0)} delivered/s, ack p50 ${fan.ack.p50.toFixed(1)} p99 ${fan.ack.p99.toFixed(1)} ms, e2e p99 ${fan.e2e.p99.toFixed(1)} ms, failed ${fan.failed}, client CPU ${fan.clientCpuPct.toFixed(0)}%`);
    let storm = null;
    if (name.startsWith('parley')) {
      // 20 logins/s at bcrypt cost 12 during the same fan-out load
      const email = (await post(url, '/auth/register', { email: `storm${Date.now()}@example.com`, password: 'correct horse battery', displayName: 'Storm' })).user.email;
      let stop = false;
      const outcomes = { ok: 0, refused: 0 };
      const pending = [];
      const logins = (async () => {
        while (!stop) {
          pending.push(post(url, '/auth/login', { email, password: 'correct horse battery' }).then(() => outcomes.ok++, () => outcomes.refused++));
          await new Promise((r) => setTimeout(r, 50));
        }
      })();
      storm = await fanout({ url, tokens, rooms: ROOMS, workers: 2, sendersPerWorker: Math.ceil(tokens.length / 2), inFlight: 2, durationMs: DURATION });
      stop = true;
      await logins;
      await Promise.all(pending);
      storm.logins = outcomes;
      console.log(`fan-out during a 20/s login storm: ack p99 ${storm.ack.p99.toFixed(1)} ms, e2e p99 ${storm.e2e.p99.toFixed(1)} ms, ${storm.sendsPerSec.toFixed(0)} sends/s; logins ${outcomes.ok} ok, ${outcomes.refused} refused`);
    }
    await stopServer(server);
    const idle = await idleMemory(start, url, minted.slice(0, IDLE_SOCKETS));
    console.log(`RSS per idle socket: ${(idle.rssPerSocket / 1024).toFixed(1)} KiB over ${idle.sockets} sockets`);
    return { name, hs, fan, storm, ...idle };
  } finally {
    await stopServer(server);
  }
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

const peerPrepare = (url) => async () => {
  const tokens = Array.from({ length: ROOMS * MEMBERS }, (_, i) => sign({ sub: `u${i}` }));
  const minted = Array.from({ length: Math.max(3 * HANDSHAKES, IDLE_SOCKETS) }, (_, i) => sign({ sub: `m${i}` }));
  return { url, tokens, minted };
};

const parleyEnv = (port, databaseUrl) => ({
  ...BENCH_SECRETS,
  NODE_ENV: 'production',
  PORT: String(port),
  DATABASE_URL: databaseUrl,
  LOG_LEVEL: 'warn',
  BCRYPT_COST: '12',
  AUTH_RATE_LIMIT: '100000/1s',
  WS_RATE_LIMIT: '100000/1s',
  WS_CONNECT_RATE_LIMIT: '1000000/1s',
  WS_MAX_CONNECTIONS_PER_USER: '10000',
  MAIL_OUTBOX_DIR: mkdtempSync(join(tmpdir(), 'bench-outbox-')),
});

/** Every server runs with the memory probe, so RSS is read after a full GC. */
const probed = { ipc: true, nodeArgs: MEMORY_PROBE_ARGS };
const results = [];
const bare = 3201;
results.push(await measureTarget('bare socket.io', () => startServer('bench/peers/bare-server.mjs', { PORT: String(bare) }, { port: bare, ...probed }), peerPrepare(`http://127.0.0.1:${bare}`)));
const jwtPort = 3202;
results.push(
  await measureTarget('jwt.verify peer', () => startServer('bench/peers/bare-server.mjs', { PORT: String(jwtPort), BENCH_JWT_SECRET: BENCH_SECRETS.JWT_ACCESS_SECRET }, { port: jwtPort, ...probed }), peerPrepare(`http://127.0.0.1:${jwtPort}`)),
);
for (const [name, databaseUrl] of [
  ['parley sqlite', `sqlite:${join(mkdtempSync(join(tmpdir(), 'bench-db-')), 'app.sqlite')}`],
  ['parley mariadb', null],
]) {
  const port = name.endsWith('sqlite') ? 3203 : 3204;
  const url = `http://127.0.0.1:${port}`;
  try {
    const db = databaseUrl ?? (await freshMysql());
    results.push(
      await measureTarget(name, () => startServer('dist/main.js', parleyEnv(port, db), { port, ...probed }), async () => {
        const { tokens, minted } = await parleyTokens(url, ROOMS * MEMBERS, Math.max(3 * HANDSHAKES, IDLE_SOCKETS));
        return { url, tokens, minted };
      }),
    );
  } catch (error) {
    console.log(`${name} skipped: ${error.message}`);
  }
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
  `Load: ${ROOMS} rooms × ${MEMBERS} members, every member sending flat out with 2 sends in flight for ${DURATION / 1000} s, 2 load-generator processes; 3 rounds of ${HANDSHAKES} handshakes with distinct tokens, 50 in parallel (median round); ${IDLE_SOCKETS} idle sockets for RSS (in a fresh server process, RSS read after a full GC before and after).`,
  '',
  '| target | handshakes/s | connect p50 / p99 ms | sends/s (acked) | delivered/s | ack p50 / p99 ms | e2e p99 ms | client CPU | server CPU µs per delivered | p99 during login storm | RSS/socket KiB |',
  '|---|---|---|---|---|---|---|---|---|---|---|',
  ...results.map(
    (r) =>
      `| ${r.name} | ${r.hs.perSec.toFixed(0)} | ${r.hs.connect.p50.toFixed(1)} / ${r.hs.connect.p99.toFixed(1)} | ${r.fan.sendsPerSec.toFixed(0)} | ${r.fan.deliveredPerSec.toFixed(0)} | ${r.fan.ack.p50.toFixed(1)} / ${r.fan.ack.p99.toFixed(1)} | ${r.fan.e2e.p99.toFixed(1)} | ${r.fan.clientCpuPct.toFixed(0)}% | ${r.fan.serverCpuUsPerDelivered.toFixed(1)} | ${r.storm ? r.storm.ack.p99.toFixed(1) : '–'} | ${(r.rssPerSocket / 1024).toFixed(1)} |`,
  ),
  '',
  'Ratios (Parley / peer) against the targets:',
  '',
  ...results
    .filter((r) => r.name.startsWith('parley'))
    .flatMap((r) => [
      `- ${r.name}: handshakes/s ${ratio(r.hs.perSec, jwtR.hs.perSec)}× jwt peer (target ≥ 0.8); delivered/s ${ratio(r.fan.deliveredPerSec, bareR.fan.deliveredPerSec)}× bare (≥ 0.9, every message stored before its ack; server CPU per delivered message ${ratio(r.fan.serverCpuUsPerDelivered, bareR.fan.serverCpuUsPerDelivered)}×); ack p99 ${ratio(r.fan.ack.p99, bareR.fan.ack.p99)}× bare (≤ 1.5); RSS/socket ${ratio(r.rssPerSocket, bareR.rssPerSocket)}× bare (≤ 1.3); p99 in login storm ${ratio(r.storm?.ack.p99 ?? NaN, r.fan.ack.p99)}× without (≤ 2; logins during the storm: ${r.storm?.logins.ok} ok, ${r.storm?.logins.refused} refused with 503).`,
    ]),
  '',
  `Micro: access-token verification + revocation check p50 ${verify.keyObject.p50.toFixed(2)} µs with a KeyObject (${verify.stringSecret.p50.toFixed(1)} µs with a string secret); WsJwtGuard per event p50 ${guard.p50.toFixed(3)} µs; bcrypt cost 12 compare (one login) p50 ${bcrypt[12].p50.toFixed(0)} ms.`,
];
appendFileSync(join(root, 'bench', 'RESULTS.md'), `${lines.join('\n')}\n`);
console.log(lines.join('\n'));
process.exit(0);
