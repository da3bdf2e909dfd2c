// npm run bench:storm [-- --full | --sockets N --rooms R] [--rate SENDS_PER_S] [--senders-per-room K]
//                      [--normal-seconds S] [--after-seconds S] [--database mysql://…] [--quick]
// A reconnect storm: N sockets in R rooms on one Parley process (pinned to BENCH_SERVER_CORES
// cores with every thread; load generators on the others), messages flowing; the server is
// killed with SIGKILL and started again on the same database. Every client reconnects with
// socket.io-client's backoff and resumes with room:join { since }. Reported: the time until
// every socket is back and caught up, the database load during it, every acknowledged message
// checked on every client of its room, and the p99 of the clients already back against normal.
// Default 2,000 sockets in 20 rooms; --full = 20,000 in 200 rooms.
import { fork } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConnection } from 'mysql2/promise';
import { io } from 'socket.io-client';
import {
  coreBudget,
  fsyncMs,
  cpuSecondsOfAll,
  flag,
  machine,
  mintAccessToken,
  openFilesHardLimit,
  parleyEnv,
  percentile,
  pinSelf,
  registerUsers,
  servicePids,
  startServer,
  stopServer,
  summarize,
  threadAffinity,
  threadCpuOf,
  writeReport,
} from './lib.mjs';
import { commandLine } from './lib.mjs';

commandLine(import.meta.url, [
  'after-seconds',
  'backoff-max-ms',
  'backoff-min-ms',
  'database',
  'deadline-seconds',
  'full',
  'normal-seconds',
  'per-worker',
  'quick',
  'rate',
  'rooms',
  'senders-per-room',
  'sockets',
]);

const quick = flag('quick', false) === true;
const full = flag('full', false) === true;
const SOCKETS = Number(flag('sockets', full ? 20_000 : quick ? 500 : 2000));
const ROOMS = Number(flag('rooms', full ? 200 : quick ? 5 : 20));
const SENDERS_PER_ROOM = Number(flag('senders-per-room', 1));
const RATE = Number(flag('rate', ROOMS * 2)); // sends per second over all senders
const NORMAL_SECONDS = Number(flag('normal-seconds', quick ? 4 : 15));
const AFTER_SECONDS = Number(flag('after-seconds', quick ? 3 : 10));
const DEADLINE_SECONDS = Number(flag('deadline-seconds', 180));
const BACKOFF_MIN = Number(flag('backoff-min-ms', 1000));
const BACKOFF_MAX = Number(flag('backoff-max-ms', 5000));
const PER_WORKER = Number(flag('per-worker', 5000));
const port = 3240;
const url = `http://127.0.0.1:${port}`;
const now = () => performance.timeOrigin + performance.now();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const budget = coreBudget();
pinSelf(budget.clients);
const hard = openFilesHardLimit();
if (SOCKETS + 500 > hard) {
  console.log(
    `\n!! ${SOCKETS} sockets need more open files than the hard limit here (${hard}, ulimit -Hn); expect refused connections. Raise it (LimitNOFILE, limits.conf, docker --ulimit nofile=…) for this size.\n`,
  );
}
const databaseUrl = String(flag('database', `sqlite:${join(mkdtempSync(join(tmpdir(), 'bench-storm-')), 'app.sqlite')}`));
const mysql = databaseUrl.startsWith('mysql') ? await freshMysql(databaseUrl) : null;
const env = { ...parleyEnv({ port, databaseUrl, bcryptCost: 4 }), WS_MAX_CONNECTIONS_PER_USER: '10000' };
const start = () => startServer('dist/main.js', env, { port, cores: budget.server, nofile: hard, timeoutMs: 60_000 });
console.log(
  `cores: ${budget.note}; ${SOCKETS} sockets in ${ROOMS} rooms, ${SENDERS_PER_ROOM} sender(s) per room, ${RATE} sends/s in all; ${databaseUrl.split(':')[0]}`,
);

async function freshMysql(uri) {
  const db = new URL(uri).pathname.slice(1);
  const conn = await createConnection({ uri: uri.replace(/\/[^/]*$/, '/') });
  await conn.query(`DROP DATABASE IF EXISTS \`${db}\``);
  await conn.query(`CREATE DATABASE \`${db}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  return conn; // kept open to read the server's status counters
}
async function mysqlStatus() {
  if (!mysql) return null;
  const [rows] = await mysql.query("SHOW GLOBAL STATUS WHERE Variable_name IN ('Questions', 'Com_select', 'Com_insert', 'Innodb_data_fsyncs')");
  return Object.fromEntries(rows.map((r) => [r.Variable_name, Number(r.Value)]));
}

let server = await start();
const users = (await registerUsers(url, Math.max(20, Math.ceil(SOCKETS / 2000)), 'storm')).map((u) => ({
  id: u.user.id,
  displayName: u.user.displayName,
}));

// One seed message per room before the clients join: every socket then has a message id to
// resume from, whatever happens before the kill.
const acked = {};
await Promise.all(
  Array.from({ length: ROOMS }, async (_, r) => {
    const socket = io(`${url}/chat`, {
      auth: { token: mintAccessToken(users[0], `seed-${r}`) },
      transports: ['websocket'],
      forceNew: true,
      reconnection: false,
    });
    await new Promise((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('connect_error', reject);
    });
    await socket.emitWithAck('room:join', { room: `storm-${r}` });
    const ack = await socket.emitWithAck('message:send', { room: `storm-${r}`, body: `${now()}:seed` });
    (acked[`storm-${r}`] ??= []).push(ack.data.id);
    socket.close();
  }),
);

const addresses = Array.from({ length: Math.max(2, Math.ceil(SOCKETS / 10_000) + 1) }, (_, i) => `127.0.0.${i + 2}`);
const workerCount = Math.max(1, Math.ceil(SOCKETS / PER_WORKER));
const share = Math.ceil(SOCKETS / workerCount);
const senders = ROOMS * Math.min(SENDERS_PER_ROOM, Math.ceil(SOCKETS / ROOMS));
const workers = [];
const progress = new Map();
const connectStart = now();
for (let w = 0; w < workerCount; w++) {
  const child = fork(new URL('./load/storm-worker.mjs', import.meta.url).pathname, [], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    execArgv: ['--max-old-space-size=4096'],
  });
  const ready = new Promise((resolve) => child.on('message', (m) => (m.type === 'ready' ? resolve() : m.type === 'progress' && progress.set(w, m))));
  child.send({
    type: 'config',
    cfg: {
      url,
      users,
      from: w * share,
      count: Math.min(share, SOCKETS - w * share),
      rooms: ROOMS,
      sendersPerRoom: SENDERS_PER_ROOM,
      ratePerSender: RATE / senders,
      localAddresses: addresses,
      backoffMinMs: BACKOFF_MIN,
      backoffMaxMs: BACKOFF_MAX,
      sampleEvery: Math.max(1, Math.round((RATE * (SOCKETS / ROOMS)) / 5000)),
    },
  });
  workers.push({ child, ready });
}
await Promise.all(workers.map((w) => w.ready));
console.log(`${SOCKETS} sockets connected and joined in ${((now() - connectStart) / 1000).toFixed(1)} s`);
const ask = (type, payload, reply) =>
  Promise.all(
    workers.map(
      (w) =>
        new Promise((resolve) => {
          const on = (m) => {
            if (m.type === reply) {
              w.child.off('message', on);
              resolve(m);
            }
          };
          w.child.on('message', on);
          w.child.send({ type, ...payload });
        }),
    ),
  );
const totals = () =>
  [...progress.values()].reduce((a, p) => ({ connected: a.connected + p.connected, back: a.back + p.back }), { connected: 0, back: 0 });

// once a second: the server's CPU (event loop, other threads), the database's, the clients' state
const services = servicePids(mysql ? ['mariadbd', 'mysqld'] : []);
const timeline = [];
let last = { t: now(), cpu: threadCpuOf(server.child.pid), pid: server.child.pid, service: cpuSecondsOfAll(services), status: await mysqlStatus() };
const sampler = setInterval(async () => {
  const t = now();
  let cpu;
  try {
    cpu = threadCpuOf(server.child.pid);
  } catch {
    cpu = null; // killed, not yet started again
  }
  const service = cpuSecondsOfAll(services);
  const status = await mysqlStatus().catch(() => null);
  const s = (t - last.t) / 1000;
  const sameProcess = cpu && last.cpu && last.pid === server.child.pid;
  timeline.push({
    t,
    ...totals(),
    serverMainPct: sameProcess ? ((cpu.mainThread - last.cpu.mainThread) / s) * 100 : null,
    serverOtherPct: sameProcess ? ((cpu.otherThreads - last.cpu.otherThreads) / s) * 100 : null,
    dbCpuPct: services.length ? ((service - last.service) / s) * 100 : null,
    dbPerSec: status && last.status ? Object.fromEntries(Object.keys(status).map((k) => [k, (status[k] - last.status[k]) / s])) : null,
  });
  last = { t, cpu, pid: server.child.pid, service, status };
}, 1000);

const go = now();
for (const w of workers) w.child.send({ type: 'go' });
console.log(`normal phase: ${NORMAL_SECONDS} s`);
await sleep(NORMAL_SECONDS * 1000);

const killAt = now();
server.child.kill('SIGKILL');
await new Promise((r) => server.child.once('exit', r));
console.log('server killed (SIGKILL); starting it again');
server = await start();
const restartedAt = now();
console.log(`server up again after ${((restartedAt - killAt) / 1000).toFixed(2)} s; waiting for every socket to be back`);
let allBack = false;
while (now() - killAt < DEADLINE_SECONDS * 1000) {
  await sleep(250);
  const t = totals();
  // progress reports come every 250 ms: wait for one taken after the restart
  if (t.back === SOCKETS && [...progress.values()].every((p) => p.t > restartedAt)) {
    allBack = true;
    break;
  }
}
const backSeenAt = now();
console.log(
  allBack
    ? `every socket back and caught up (seen ${((backSeenAt - killAt) / 1000).toFixed(1)} s after the kill)`
    : `!! not every socket back within ${DEADLINE_SECONDS} s: ${totals().back} of ${SOCKETS}`,
);
console.log(`after phase: ${AFTER_SECONDS} s`);
await sleep(AFTER_SECONDS * 1000);
const end = now();
const affinity = threadAffinity(server.child.pid, budget.server);

const stopped = await ask('stop', {}, 'stopped');
clearInterval(sampler);
for (const s of stopped) for (const [room, ids] of Object.entries(s.ackedIds)) (acked[room] ??= []).push(...ids);
const verified = await ask('verify', { acked }, 'verified');
await ask('close', {}, 'closed');
await stopServer(server);
await mysql?.end();

// ---- figures ----
const backTimes = stopped.flatMap((s) => s.backTimes).map((t) => (t - killAt) / 1000);
const allBackAt = allBack ? Math.max(...stopped.flatMap((s) => s.backTimes)) : null;
const recoveryEnd = allBackAt ?? backSeenAt;
const phase = (pairs, from, to) => summarize(pairs.filter(([t]) => t >= from && t < to).map(([, v]) => v));
const e2e = stopped.flatMap((s) => s.e2e);
const acks = stopped.flatMap((s) => s.acks);
// the first seconds of traffic warm the JIT and the caches: not "normal"
const normalFrom = go + Math.min(2000, (NORMAL_SECONDS * 1000) / 4);
const phases = {
  normal: { e2e: phase(e2e, normalFrom, killAt), ack: phase(acks, normalFrom, killAt) },
  recovery: { e2e: phase(e2e, restartedAt, recoveryEnd), ack: phase(acks, restartedAt, recoveryEnd) },
  after: { e2e: phase(e2e, recoveryEnd, end), ack: phase(acks, recoveryEnd, end) },
};
const joins = stopped.flatMap((s) => s.joins);
const joinFailures = {};
for (const s of stopped) for (const [k, v] of Object.entries(s.joinFailures)) joinFailures[k] = (joinFailures[k] ?? 0) + v;
const missing = verified.reduce((a, v) => a + v.missing, 0);
const socketsMissing = verified.reduce((a, v) => a + v.socketsMissing, 0);
const checked = verified.reduce((a, v) => a + v.checked, 0);
const ackedCount = Object.values(acked).reduce((a, ids) => a + ids.length, 0);
const lostSince = stopped.flatMap((s) => s.lostSince);
const during = timeline.filter((p) => p.t >= restartedAt && p.t <= recoveryEnd + 1000);
const normalTl = timeline.filter((p) => p.t >= normalFrom && p.t <= killAt);
const mean = (xs) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);
const peak = (xs) => (xs.length ? Math.max(...xs) : NaN);
const load = (points) => ({
  serverMainPct: { mean: mean(points.map((p) => p.serverMainPct ?? 0)), peak: peak(points.map((p) => p.serverMainPct ?? 0)) },
  serverOtherPct: { mean: mean(points.map((p) => p.serverOtherPct ?? 0)), peak: peak(points.map((p) => p.serverOtherPct ?? 0)) },
  dbCpuPct: services.length ? { mean: mean(points.map((p) => p.dbCpuPct)), peak: peak(points.map((p) => p.dbCpuPct)) } : null,
  dbPerSec: mysql
    ? Object.fromEntries(
        ['Questions', 'Com_select', 'Com_insert', 'Innodb_data_fsyncs'].map((k) => [
          k,
          { mean: mean(points.map((p) => p.dbPerSec?.[k] ?? 0)), peak: peak(points.map((p) => p.dbPerSec?.[k] ?? 0)) },
        ]),
      )
    : null,
});
const loadNormal = load(normalTl);
const loadRecovery = load(during);
const f1 = (n) => (Number.isFinite(n) ? n.toFixed(1) : '–');
const pct = (l) => `${f1(l.mean)} / ${f1(l.peak)}`;
const secs = (ms) => (ms / 1000).toFixed(2);
const joinSummary = summarize(joins.map(([, v]) => v));
const m = machine();
const markdown = [
  `## ${m.date.slice(0, 10)} — reconnect storm (\`npm run bench:storm${full ? ' -- --full' : ''}\`)`,
  '',
  `Machine: ${m.cpu}, ${m.memory}, Node ${m.node}; commit ${m.commit}; load average at start ${m.load}. Cores: ${budget.note}; fdatasync in the temporary directory ${fsyncMs().toFixed(2)} ms median. Parley on ${databaseUrl.split(':')[0]}; ${SOCKETS} sockets in ${ROOMS} rooms (${SOCKETS / ROOMS} members), ${senders} senders at ${RATE} sends/s in all, ${workerCount} load-generator process(es); socket.io-client backoff ${BACKOFF_MIN}–${BACKOFF_MAX} ms (randomisation 0.5); ${NORMAL_SECONDS} s of traffic, SIGKILL, restart on the same database, ${AFTER_SECONDS} s after every socket is back.`,
  '',
  '| server up again after s | every socket back and caught up after s (target ≤ 60) | per socket back after s p50 / p99 | resuming joins (failed) | join ack p50 / p99 ms | messages replayed through `since` | acknowledged messages checked on every client of their room | missing |',
  '|---|---|---|---|---|---|---|---|',
  `| ${secs(restartedAt - killAt)} | ${allBackAt ? secs(allBackAt - killAt) : `not within ${DEADLINE_SECONDS}`} | ${f1(
    percentile(
      [...backTimes].sort((a, b) => a - b),
      50,
    ),
  )} / ${f1(
    percentile(
      [...backTimes].sort((a, b) => a - b),
      99,
    ),
  )} | ${joins.length} (${JSON.stringify(joinFailures)}) | ${f1(joinSummary.p50)} / ${f1(joinSummary.p99)} | ${stopped.reduce((a, s) => a + s.sinceMessages, 0)} | ${ackedCount} messages, ${checked} (message, client) pairs | ${missing === 0 ? '**0**' : `**${missing} on ${socketsMissing} sockets** ${JSON.stringify(verified.flatMap((v) => v.examples).slice(0, 3))}`} |`,
  '',
  '| phase | e2e p50 / p99 ms | ack p50 / p99 ms | samples (e2e, ack) |',
  '|---|---|---|---|',
  ...Object.entries(phases).map(
    ([name, p]) =>
      `| ${name === 'recovery' ? 'recovery (clients already back)' : name} | ${f1(p.e2e.p50)} / ${f1(p.e2e.p99)} | ${f1(p.ack.p50)} / ${f1(p.ack.p99)} | ${p.e2e.n}, ${p.ack.n} |`,
  ),
  '',
  `Recovery p99 ÷ normal p99 (target ≤ 2): e2e ${(phases.recovery.e2e.p99 / phases.normal.e2e.p99).toFixed(2)}×, ack ${(phases.recovery.ack.p99 / phases.normal.ack.p99).toFixed(2)}×.`,
  '',
  '| load, mean / peak per second | normal | recovery |',
  '|---|---|---|',
  `| server event loop, % of a core | ${pct(loadNormal.serverMainPct)} | ${pct(loadRecovery.serverMainPct)} |`,
  `| server's other threads (SQLite writer, bcrypt, libuv, GC), % of a core | ${pct(loadNormal.serverOtherPct)} | ${pct(loadRecovery.serverOtherPct)} |`,
  ...(loadNormal.dbCpuPct ? [`| MariaDB CPU, % of a core | ${pct(loadNormal.dbCpuPct)} | ${pct(loadRecovery.dbCpuPct)} |`] : []),
  ...(loadNormal.dbPerSec
    ? Object.keys(loadNormal.dbPerSec).map(
        (k) => `| MariaDB ${k}/s (server-wide) | ${pct(loadNormal.dbPerSec[k])} | ${pct(loadRecovery.dbPerSec[k])} |`,
      )
    : []),
  '',
  `Sends that failed (in flight at the kill, never acknowledged, not required anywhere): ${stopped.reduce((a, s) => a + s.failedSends, 0)}. Resumes refused because \`since\` was unknown to the restarted server (a lost message): ${lostSince.length}. Server threads ${affinity.threads}, ${budget.pinned ? (affinity.ok ? 'all pinned' : `NOT ALL PINNED ${JSON.stringify(affinity.lists)}`) : 'not pinned'}.`,
].join('\n');
const files = writeReport(`storm-${SOCKETS}`, markdown, {
  machine: m,
  budget,
  config: {
    sockets: SOCKETS,
    rooms: ROOMS,
    sendersPerRoom: SENDERS_PER_ROOM,
    rate: RATE,
    normalSeconds: NORMAL_SECONDS,
    afterSeconds: AFTER_SECONDS,
    backoffMinMs: BACKOFF_MIN,
    backoffMaxMs: BACKOFF_MAX,
    database: databaseUrl.split(':')[0],
    workers: workerCount,
    addresses,
  },
  times: {
    go,
    killAt,
    restartedAt,
    allBackAt,
    end,
    serverUpAfterS: (restartedAt - killAt) / 1000,
    allBackAfterS: allBackAt ? (allBackAt - killAt) / 1000 : null,
  },
  backTimesS: summarize(backTimes),
  joins: { count: joins.length, failures: joinFailures, ack: joinSummary, replayed: stopped.reduce((a, s) => a + s.sinceMessages, 0) },
  proof: { acked: ackedCount, checkedPairs: checked, missing, socketsMissing, examples: verified.flatMap((v) => v.examples), lostSince },
  phases,
  load: { normal: loadNormal, recovery: loadRecovery },
  timeline,
  affinity,
});
console.log(`\n${markdown}\n\nwritten: ${files.md}, ${files.json}`);
process.exit(missing === 0 && allBack ? 0 : 1);
