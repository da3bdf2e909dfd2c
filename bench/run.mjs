// npm run bench [-- --quick] [--shapes 20x5/1,2x500/all] [--targets bare,durable,sqlite,mariadb]
//                [--in-flight 2] [--storm-shape 10x10/all] [--no-storm] [--no-idle] [--no-micro]
// Parley against two peers — bare Socket.IO, and the simplest durable server (Socket.IO +
// jwt.verify + a synchronous SQLite INSERT per message) — on the same core budget: every
// server, with every thread it starts, pinned to BENCH_SERVER_CORES cores (default 1), the load
// generators on the others. All servers run side by side and each measurement goes round all
// of them in interleaved rounds (the median round counts), for every load shape of the sweep.
// Tables and JSON go to bench/out/; bench/RESULTS.md explains the method.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConnection } from 'mysql2/promise';
import { fanout, parseShape } from './load/fanout.mjs';
import { handshakes } from './load/handshakes.mjs';
import {
  BENCH_SECRETS,
  MEMORY_PROBE_ARGS,
  checkCpuAccounting,
  coreBudget,
  fsyncMs,
  flag,
  machine,
  median,
  memoryAfterGc,
  mintAccessToken,
  parleyEnv,
  pinSelf,
  post,
  registerUsers,
  servicePids,
  startServer,
  stopServer,
  threadAffinity,
  writeReport,
} from './lib.mjs';
import { run as verifyBench } from './micro/verify-token.mjs';
import { run as guardBench } from './micro/ws-guard.mjs';
import { run as bcryptBench } from './micro/bcrypt.mjs';
import { commandLine } from './lib.mjs';

commandLine(import.meta.url, ['in-flight', 'no-idle', 'no-micro', 'no-storm', 'quick', 'shapes', 'storm-shape', 'targets']);

const quick = flag('quick', false) === true;
// rooms × members / senders per room: 5, 50 and 500 members, one or two senders up to every member
const FULL_SHAPES = '20x5/1,20x5/all,10x10/all,4x50/2,4x50/all,2x500/1,2x500/2,2x500/all';
const QUICK_SHAPES = '4x5/1,4x5/all,2x50/2,1x500/1';
const SHAPES = String(flag('shapes', quick ? QUICK_SHAPES : FULL_SHAPES))
  .split(',')
  .map(parseShape);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? (quick ? 1 : 3));
const DURATION = Number(process.env.BENCH_DURATION_MS ?? (quick ? 2000 : 6000));
const IN_FLIGHT = Number(flag('in-flight', 2));
const HANDSHAKES = quick ? 200 : 1000;
const IDLE_SOCKETS = quick ? 500 : 10_000;
const STORM_SHAPE = parseShape(String(flag('storm-shape', quick ? '4x5/all' : '10x10/all')));
const WANTED = String(flag('targets', 'bare,durable,sqlite,mariadb')).split(',');
const MYSQL = process.env.BENCH_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/parley_bench';

const budget = coreBudget();
pinSelf(budget.clients); // this process and every load generator it forks
const WORKERS = Number(process.env.BENCH_LOAD_WORKERS ?? budget.clientCount);
console.log(`cores: ${budget.note}; ${WORKERS} load-generator process(es)`);

const SOCKETS = Math.max(...SHAPES.map((s) => s.rooms * s.members), STORM_SHAPE.rooms * STORM_SHAPE.members);
/** Distinct tokens: a round of handshakes each, one more for the warm-up, or the idle sockets. */
const MINTED = Math.max((ROUNDS + 1) * HANDSHAKES, IDLE_SOCKETS);

/** Parley: a few registered users, every socket a token of its own (distinct session ids). */
async function parleyTokens(url) {
  const users = (await registerUsers(url, 20)).map((u) => ({ id: u.user.id, displayName: u.user.displayName }));
  const mint = (n, tag) => Array.from({ length: n }, (_, k) => mintAccessToken(users[k % users.length], `bench-${tag}-${k}`));
  return { tokens: mint(SOCKETS, 'f'), minted: mint(MINTED, 'h') };
}
/** The peers verify the same token shape (the bare one ignores it). */
async function peerTokens() {
  const mint = (n, tag) => Array.from({ length: n }, (_, k) => mintAccessToken({ id: `${tag}${k}`, displayName: `peer ${k}` }, `${tag}${k}`));
  return { tokens: mint(SOCKETS, 'u'), minted: mint(MINTED, 'm') };
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

const probed = { ipc: true, nodeArgs: MEMORY_PROBE_ARGS, cores: budget.server };
const tmp = () => mkdtempSync(join(tmpdir(), 'bench-db-'));
const catalogue = {
  bare: () => ({ name: 'bare socket.io', port: 3201, env: {}, script: 'bench/peers/bare-server.mjs', prepare: peerTokens }),
  durable: () => ({
    name: 'durable peer',
    port: 3202,
    env: { BENCH_JWT_SECRET: BENCH_SECRETS.JWT_ACCESS_SECRET, BENCH_DB_PATH: join(tmp(), 'peer.sqlite') },
    script: 'bench/peers/bare-server.mjs',
    prepare: peerTokens,
  }),
  sqlite: () => ({
    name: 'parley sqlite',
    port: 3203,
    database: Promise.resolve(`sqlite:${join(tmp(), 'app.sqlite')}`),
    script: 'dist/main.js',
    parley: true,
  }),
  mariadb: () => ({
    name: 'parley mariadb',
    port: 3204,
    database: freshMysql(),
    script: 'dist/main.js',
    parley: true,
    services: ['mariadbd', 'mysqld'],
  }),
};
const candidates = WANTED.map((w) => {
  if (!catalogue[w]) throw new Error(`unknown target "${w}" (bare, durable, sqlite, mariadb)`);
  const c = catalogue[w]();
  c.database?.catch(() => undefined);
  c.url = `http://127.0.0.1:${c.port}`;
  c.start = async () =>
    startServer(
      c.script,
      c.parley ? parleyEnv({ port: c.port, databaseUrl: await c.database, bcryptCost: 12 }) : { PORT: String(c.port), ...c.env },
      { port: c.port, ...probed },
    );
  c.prepare ??= () => parleyTokens(c.url);
  return c;
});

/** One fan-out run of a shape, with the server CPU (all threads) it cost per delivered message. */
async function measureFanout(target, shape, durationMs = DURATION) {
  const fan = await fanout({
    url: target.url,
    tokens: target.tokens,
    ...shape,
    inFlight: IN_FLIGHT,
    durationMs,
    workers: WORKERS,
    roomPrefix: `b${shape.rooms}x${shape.members}`,
    pids: [target.server.child.pid],
    services: target.services ? { db: servicePids(target.services) } : {},
  });
  console.log(
    `${target.name} [${shape.label}]: ${fan.deliveredPerSec.toFixed(0)} delivered/s (${fan.sendsPerSec.toFixed(0)} sends/s), server ${fan.serverCpuUsPerDelivered.toFixed(2)} µs/delivered at ${fan.serverCpuPct.toFixed(0)}% CPU${fan.serviceCpuUsPerDelivered.db !== undefined ? ` + db ${fan.serviceCpuUsPerDelivered.db.toFixed(2)}` : ''}, e2e p50 ${fan.e2e.p50.toFixed(1)} p99 ${fan.e2e.p99.toFixed(1)} ms, ack p99 ${fan.ack.p99.toFixed(1)} ms, failed ${fan.failed}, delivered/expected ${fan.deliveryRatio.toFixed(3)}, client CPU ${fan.clientCpuPct.toFixed(0)}%`,
  );
  return fan;
}

/**
 * The fan-out without and then with 20 logins/s at bcrypt cost 12 arriving, back to back, so
 * that both halves of the comparison see the same state of this shared machine.
 */
async function measureStorm(target, email) {
  const calm = await measureFanout(target, STORM_SHAPE);
  let stop = false;
  const logins = { ok: 0, refused: 0 };
  const pending = [];
  const storming = (async () => {
    while (!stop) {
      pending.push(
        post(target.url, '/auth/login', { email, password: 'correct horse battery' }).then(
          () => logins.ok++,
          () => logins.refused++,
        ),
      );
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  const storm = await measureFanout(target, STORM_SHAPE);
  stop = true;
  await storming;
  await Promise.all(pending);
  const round = { calm, storm, logins, ratio: storm.ack.p99 / calm.ack.p99 };
  console.log(
    `${target.name}: ack p99 ${calm.ack.p99.toFixed(1)} ms without, ${storm.ack.p99.toFixed(1)} ms during a 20/s login storm (${round.ratio.toFixed(2)}×); logins ${logins.ok} ok, ${logins.refused} refused`,
  );
  return round;
}

/**
 * RSS per idle socket in a fresh server process (memory the load phases left behind would
 * otherwise be reused by the sockets and hide their cost), read after a full GC both times.
 */
async function idleMemory(target) {
  const server = await target.start();
  try {
    const before = (await memoryAfterGc(server)).rss;
    const idle = await handshakes({ url: target.url, tokens: target.minted.slice(0, IDLE_SOCKETS), hold: true, parallel: 100 });
    await new Promise((r) => setTimeout(r, 1500));
    const after = (await memoryAfterGc(server)).rss;
    for (const s of idle.sockets) s.close();
    return { rssPerSocket: (after - before) / idle.sockets.length, idleSockets: idle.sockets.length };
  } finally {
    await stopServer(server);
  }
}

/**
 * Every thread the server has started by now runs on its cores only, and its process line
 * counts them all (the CPU figures rely on both).
 */
function checkThreads(when) {
  for (const [i, target] of targets.entries()) {
    const a = threadAffinity(target.server.child.pid, budget.server);
    const c = checkCpuAccounting(target.server.child.pid);
    results[i].affinity = {
      threads: Math.max(a.threads, results[i].affinity?.threads ?? 0),
      lists: { ...results[i].affinity?.lists, ...a.lists },
      ok: a.ok && (results[i].affinity?.ok ?? true),
    };
    results[i].cpuAccounting = c;
    console.log(
      `${target.name} ${when}: ${a.threads} threads, CPU lists ${JSON.stringify(a.lists)}${budget.pinned ? (a.ok ? ' (all pinned)' : ' — NOT ALL PINNED') : ''}; process CPU ${c.processCpuS.toFixed(2)} s, sum of its live threads ${c.sumOfThreadsCpuS.toFixed(2)} s (covered: ${c.covers})`,
    );
  }
}

const targets = [];
for (const candidate of candidates) {
  let server;
  try {
    server = await candidate.start();
    targets.push(Object.assign(candidate, { server }, await candidate.prepare()));
  } catch (error) {
    if (server) await stopServer(server);
    console.log(`${candidate.name} skipped: ${error.message.split('\n')[0]}`);
  }
}
const results = targets.map((t) => ({ name: t.name, hsRounds: [], fan: Object.fromEntries(SHAPES.map((s) => [s.label, []])) }));
try {
  // One untimed pass of each load per server first: JIT and pool warm-up is not what we compare.
  console.log('\n== warm-up (not counted) ==');
  for (const target of targets) {
    await handshakes({ url: target.url, tokens: target.minted.slice(ROUNDS * HANDSHAKES, (ROUNDS + 1) * HANDSHAKES) });
    await measureFanout(
      target,
      SHAPES.reduce((a, s) => (s.rooms * s.members * s.senders > a.rooms * a.members * a.senders ? s : a)),
      DURATION / 2,
    );
  }
  checkThreads('after the warm-up');
  console.log(`\n== handshakes: ${ROUNDS} rounds of ${HANDSHAKES} ==`);
  for (let round = 0; round < ROUNDS; round++) {
    for (const [i, target] of targets.entries()) {
      const hs = await handshakes({ url: target.url, tokens: target.minted.slice(round * HANDSHAKES, (round + 1) * HANDSHAKES) });
      console.log(
        `${target.name}: ${hs.perSec.toFixed(0)}/s, connect p50 ${hs.connect.p50.toFixed(1)} ms p99 ${hs.connect.p99.toFixed(1)} ms, failures ${hs.failures}`,
      );
      delete hs.sockets;
      results[i].hsRounds.push(hs);
    }
  }
  for (const shape of SHAPES) {
    console.log(`\n== fan-out ${shape.label}: ${ROUNDS} rounds of ${DURATION / 1000} s ==`);
    for (let round = 0; round < ROUNDS; round++) {
      for (const [i, target] of targets.entries()) results[i].fan[shape.label].push(await measureFanout(target, shape));
    }
  }
  if (flag('no-storm', false) !== true && targets.some((t) => t.parley)) {
    console.log(`\n== login storm (${STORM_SHAPE.label}): ${ROUNDS} rounds, each the fan-out without and then with the storm ==`);
    const stormers = await Promise.all(
      targets.map(async (target) => (target.parley ? (await registerUsers(target.url, 1, 'storm'))[0].user.email : null)),
    );
    for (let round = 0; round < ROUNDS; round++) {
      for (const [i, target] of targets.entries()) if (stormers[i]) (results[i].stormRounds ??= []).push(await measureStorm(target, stormers[i]));
    }
  }
  // the bcrypt threads start with the first login: check again once everything has run
  checkThreads('at the end');
} finally {
  for (const target of targets) await stopServer(target.server);
}
if (flag('no-idle', false) !== true) {
  console.log('\n== idle sockets ==');
  for (const [i, target] of targets.entries()) {
    Object.assign(results[i], await idleMemory(target));
    console.log(`${target.name}: RSS per idle socket ${(results[i].rssPerSocket / 1024).toFixed(1)} KiB over ${results[i].idleSockets} sockets`);
  }
}
for (const r of results) {
  r.hs = median(r.hsRounds, (h) => h.perSec);
  r.fanMedian = Object.fromEntries(Object.entries(r.fan).map(([label, runs]) => [label, median(runs, (f) => f.deliveredPerSec)]));
  if (r.stormRounds) r.storm = median(r.stormRounds, (s) => s.ratio);
}
const micro = flag('no-micro', false) === true ? null : { verify: verifyBench(), guard: guardBench(), bcrypt: await bcryptBench([12]) };

// ---- report ----
const m = machine();
const byName = (name) => results.find((r) => r.name === name);
const bare = byName('bare socket.io');
const durable = byName('durable peer');
const x = (a, b) => (b && Number.isFinite(a) && Number.isFinite(b) ? `${(a / b).toFixed(2)}×` : '–');
const f1 = (n) => (Number.isFinite(n) ? n.toFixed(1) : '–');
const f2 = (n) => (Number.isFinite(n) ? n.toFixed(2) : '–');
const lines = [
  `## ${m.date.slice(0, 10)} — ${quick ? 'quick' : 'full'} run (\`npm run bench\`)`,
  '',
  `Machine: ${m.cpu}, ${m.memory}, Node ${m.node}; commit ${m.commit}; load average at start ${m.load}. Cores: ${budget.note}; ${WORKERS} load-generator process(es). fdatasync of a rewritten 4 KiB block in the temporary directory (where the SQLite files are): ${fsyncMs().toFixed(2)} ms median.`,
  `Fan-out: ${IN_FLIGHT} sends in flight per sender, ${DURATION / 1000} s per run, ${ROUNDS} interleaved round(s) per shape after one untimed warm-up pass; each cell is the target's median round by delivered/s. Server CPU is utime + stime of the server process (every thread) over the send window; "+ db" is MariaDB's own CPU (not pinned, outside the budget).`,
  '',
  '| shape (rooms × members, senders/room) | target | delivered/s | sends/s | server CPU µs / delivered | + db µs | server CPU | e2e p50 / p99 ms | ack p50 / p99 ms | client CPU | delivered / expected |',
  '|---|---|---|---|---|---|---|---|---|---|---|',
  ...SHAPES.flatMap((shape) =>
    results.map((r) => {
      const f = r.fanMedian[shape.label];
      return `| ${shape.label} | ${r.name} | ${f.deliveredPerSec.toFixed(0)} | ${f.sendsPerSec.toFixed(0)} | ${f2(f.serverCpuUsPerDelivered)} | ${f.serviceCpuUsPerDelivered.db === undefined ? '–' : f2(f.serviceCpuUsPerDelivered.db)} | ${f.serverCpuPct.toFixed(0)}% | ${f1(f.e2e.p50)} / ${f1(f.e2e.p99)} | ${f1(f.ack.p50)} / ${f1(f.ack.p99)} | ${f.clientCpuPct.toFixed(0)}% | ${f.deliveryRatio.toFixed(3)} |`;
    }),
  ),
  '',
  'Parley against the peers, per shape (targets: delivered/s ≥ 0.9× bare, server CPU per delivered ≤ 1.25× bare, e2e p99 ≤ 1.3× bare, and ahead of the durable peer on delivered/s and p99):',
  '',
  '| shape | target | delivered/s ÷ bare | CPU/delivered ÷ bare | e2e p99 ÷ bare | ack p99 ÷ bare | delivered/s ÷ durable | CPU/delivered ÷ durable | e2e p99 ÷ durable |',
  '|---|---|---|---|---|---|---|---|---|',
  ...SHAPES.flatMap((shape) =>
    results
      .filter((r) => r !== bare && r !== durable)
      .map((r) => {
        const f = r.fanMedian[shape.label];
        const b = bare?.fanMedian[shape.label];
        const d = durable?.fanMedian[shape.label];
        return `| ${shape.label} | ${r.name} | ${x(f.deliveredPerSec, b?.deliveredPerSec)} | ${x(f.serverCpuUsPerDelivered, b?.serverCpuUsPerDelivered)} | ${x(f.e2e.p99, b?.e2e.p99)} | ${x(f.ack.p99, b?.ack.p99)} | ${x(f.deliveredPerSec, d?.deliveredPerSec)} | ${x(f.serverCpuUsPerDelivered, d?.serverCpuUsPerDelivered)} | ${x(f.e2e.p99, d?.e2e.p99)} |`;
      }),
  ),
  '',
  `Handshakes (${HANDSHAKES} with distinct tokens, 50 in parallel, median of ${ROUNDS}), the login storm (${STORM_SHAPE.label}, 20 logins/s at bcrypt cost 12, ack p99 against the run just before without it, median round) and RSS per idle socket (${IDLE_SOCKETS} sockets in a fresh process, after a full GC):`,
  '',
  '| target | handshakes/s | connect p50 / p99 ms | ack p99 in login storm (without) ms | storm ratio (every round) | RSS / idle socket KiB | threads, all pinned |',
  '|---|---|---|---|---|---|---|',
  ...results.map(
    (r) =>
      `| ${r.name} | ${r.hs.perSec.toFixed(0)} | ${f1(r.hs.connect.p50)} / ${f1(r.hs.connect.p99)} | ${r.storm ? `${f1(r.storm.storm.ack.p99)} (${f1(r.storm.calm.ack.p99)})` : '–'} | ${r.storm ? `${r.storm.ratio.toFixed(2)}× (${r.stormRounds.map((s) => s.ratio.toFixed(2)).join(', ')})` : '–'} | ${r.rssPerSocket === undefined ? '–' : (r.rssPerSocket / 1024).toFixed(1)} | ${r.affinity.threads}, ${budget.pinned ? (r.affinity.ok ? 'yes' : `NO ${JSON.stringify(r.affinity.lists)}`) : 'not pinned'} |`,
  ),
  '',
  `Every round, delivered/s: ${SHAPES.map((s) => `${s.label}: ${results.map((r) => `${r.name} ${r.fan[s.label].map((f) => f.deliveredPerSec.toFixed(0)).join(', ')}`).join('; ')}`).join(' — ')}.`,
  ...(micro
    ? [
        '',
        `Micro: access-token verification + revocation check p50 ${micro.verify.keyObject.p50.toFixed(2)} µs with a KeyObject (${micro.verify.stringSecret.p50.toFixed(1)} µs with a string secret); WsJwtGuard per event p50 ${micro.guard.p50.toFixed(3)} µs; bcrypt cost 12 compare p50 ${micro.bcrypt[12].p50.toFixed(0)} ms.`,
      ]
    : []),
];
const markdown = lines.join('\n');
const files = writeReport(quick ? 'bench-quick' : 'bench', markdown, {
  machine: m,
  budget,
  config: {
    quick,
    shapes: SHAPES,
    rounds: ROUNDS,
    durationMs: DURATION,
    inFlight: IN_FLIGHT,
    handshakes: HANDSHAKES,
    idleSockets: IDLE_SOCKETS,
    stormShape: STORM_SHAPE,
    workers: WORKERS,
  },
  results,
  micro,
});
console.log(`\n${markdown}\n\nwritten: ${files.md}, ${files.json}`);
process.exit(0);
