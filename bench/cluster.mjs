// npm run bench:cluster [-- --quick] [--shapes 10x10/all,4x50/2] [--targets bare,parley]
// Two nodes: Parley on MariaDB + Redis (two processes, one database, one Redis) against two bare
// Socket.IO nodes on @socket.io/redis-adapter, on the same core budget: both nodes of a target
// share BENCH_SERVER_CORES cores (split between them when there are at least two), the load
// generators get the others. Every room has members on both nodes, so every message crosses
// Redis. Fan-out throughput, server CPU per delivered message (both nodes, every thread), the
// CPU Redis and MariaDB spend per delivered message (not pinned, outside the budget), end-to-end
// and ack latency; interleaved rounds, medians. Tables and JSON in bench/out/.
import { createConnection } from 'mysql2/promise';
import { fanout, parseShape } from './load/fanout.mjs';
import {
  coreBudget,
  flag,
  machine,
  median,
  mintAccessToken,
  parleyEnv,
  pinSelf,
  registerUsers,
  servicePids,
  startServer,
  stopServer,
  threadAffinity,
  writeReport,
} from './lib.mjs';
import { commandLine } from './lib.mjs';

commandLine(import.meta.url, ['in-flight', 'quick', 'shapes', 'targets']);

const quick = flag('quick', false) === true;
const SHAPES = String(flag('shapes', quick ? '2x10/all,1x100/1' : '10x10/all,4x50/2,4x50/all,2x500/1'))
  .split(',')
  .map(parseShape);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? (quick ? 1 : 3));
const DURATION = Number(process.env.BENCH_DURATION_MS ?? (quick ? 2000 : 6000));
const IN_FLIGHT = Number(flag('in-flight', 2));
const WANTED = String(flag('targets', 'bare,parley')).split(',');
const MYSQL = process.env.BENCH_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/parley_bench_cluster';
const REDIS = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const prefix = `bench-${process.pid}-${Date.now()}`;

const budget = coreBudget();
pinSelf(budget.clients);
const WORKERS = Number(process.env.BENCH_LOAD_WORKERS ?? budget.clientCount);
const SOCKETS = Math.max(...SHAPES.map((s) => s.rooms * s.members));
/** Each node's cores: its own slice of the budget when there are enough cores, else all of it. */
const nodeCores = (n) => {
  if (!budget.pinned) return undefined;
  const cores = budget.server.split(',').flatMap((p) => {
    const [a, b] = p.split('-').map(Number);
    return Array.from({ length: (b ?? a) - a + 1 }, (_, k) => a + k);
  });
  if (cores.length < 2) return budget.server;
  const half = Math.floor(cores.length / 2);
  return (n === 0 ? cores.slice(0, half) : cores.slice(half)).join(',');
};
console.log(`cores: ${budget.note} (node 1: ${nodeCores(0) ?? 'any'}, node 2: ${nodeCores(1) ?? 'any'}); ${WORKERS} load-generator process(es)`);

async function freshMysql() {
  const db = new URL(MYSQL).pathname.slice(1);
  const conn = await createConnection({ uri: MYSQL.replace(/\/[^/]*$/, '/') });
  await conn.query(`DROP DATABASE IF EXISTS \`${db}\``);
  await conn.query(`CREATE DATABASE \`${db}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  await conn.end();
}

// BENCH_PROFILE_DIR: every server runs under V8's sampling profiler and writes its profile there on exit
const profileArgs = process.env.BENCH_PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE_DIR}`] : [];
const catalogue = {
  bare: {
    name: 'bare socket.io ×2 (redis adapter)',
    ports: [3251, 3252],
    services: { redis: ['redis-server'] },
    start: (port, n) =>
      startServer(
        'bench/peers/bare-server.mjs',
        { PORT: String(port), BENCH_REDIS_URL: REDIS, BENCH_REDIS_PREFIX: `${prefix}-bare` },
        { port, cores: nodeCores(n), nodeArgs: profileArgs },
      ),
    tokens: async () => Array.from({ length: SOCKETS }, (_, k) => mintAccessToken({ id: `u${k}`, displayName: `peer ${k}` }, `u${k}`)),
  },
  parley: {
    name: 'parley mariadb ×2 (redis)',
    ports: [3253, 3254],
    services: { redis: ['redis-server'], db: ['mariadbd', 'mysqld'] },
    setup: freshMysql,
    start: (port, n) =>
      startServer(
        'dist/main.js',
        {
          ...parleyEnv({ port, databaseUrl: MYSQL, bcryptCost: 4 }),
          REDIS_URL: REDIS,
          REDIS_KEY_PREFIX: `${prefix}:`,
          NODE_ID: `bench-node-${n + 1}`,
        },
        { port, cores: nodeCores(n), timeoutMs: 60_000, nodeArgs: profileArgs },
      ),
    tokens: async (urls) => {
      const users = (await registerUsers(urls[0], 20)).map((u) => ({ id: u.user.id, displayName: u.user.displayName }));
      return Array.from({ length: SOCKETS }, (_, k) => mintAccessToken(users[k % users.length], `cluster-${k}`));
    },
  },
};

const targets = [];
for (const key of WANTED) {
  const c = catalogue[key];
  if (!c) throw new Error(`unknown target "${key}" (bare, parley)`);
  const servers = [];
  try {
    await c.setup?.();
    // one after the other: the first node runs the migrations
    for (const [n, port] of c.ports.entries()) servers.push(await c.start(port, n));
    const urls = c.ports.map((p) => `http://127.0.0.1:${p}`);
    targets.push({ ...c, servers, urls, tokens: await c.tokens(urls), runs: Object.fromEntries(SHAPES.map((s) => [s.label, []])) });
  } catch (error) {
    for (const s of servers) await stopServer(s);
    console.log(`${c.name} skipped: ${error.message.split('\n')[0]}`);
  }
}

const measure = async (t, shape, durationMs = DURATION) => {
  const fan = await fanout({
    urls: t.urls,
    tokens: t.tokens,
    ...shape,
    inFlight: IN_FLIGHT,
    durationMs,
    workers: WORKERS,
    roomPrefix: `c${shape.rooms}x${shape.members}`,
    pids: t.servers.map((s) => s.child.pid),
    services: Object.fromEntries(Object.entries(t.services).map(([k, names]) => [k, servicePids(names)])),
  });
  const svc = Object.entries(fan.serviceCpuUsPerDelivered)
    .map(([k, v]) => `${k} ${v.toFixed(2)}`)
    .join(', ');
  console.log(
    `${t.name} [${shape.label}]: ${fan.deliveredPerSec.toFixed(0)} delivered/s (${fan.sendsPerSec.toFixed(0)} sends/s), servers ${fan.serverCpuUsPerDelivered.toFixed(2)} µs/delivered (${svc}), e2e p99 ${fan.e2e.p99.toFixed(1)} ms, ack p99 ${fan.ack.p99.toFixed(1)} ms, delivered/expected ${fan.deliveryRatio.toFixed(3)}, failed ${fan.failed}`,
  );
  return fan;
};

try {
  console.log('\n== warm-up (not counted) ==');
  for (const t of targets) await measure(t, SHAPES[0], DURATION / 2);
  for (const shape of SHAPES) {
    console.log(`\n== ${shape.label}: ${ROUNDS} rounds of ${DURATION / 1000} s ==`);
    for (let round = 0; round < ROUNDS; round++) for (const t of targets) t.runs[shape.label].push(await measure(t, shape));
  }
  for (const t of targets) t.affinity = t.servers.map((s, n) => threadAffinity(s.child.pid, nodeCores(n)));
} finally {
  for (const t of targets) for (const s of t.servers) await stopServer(s);
  await dropRedisKeys();
}

/** Redis is shared with other work: leave none of this run's keys behind. */
async function dropRedisKeys() {
  const { Redis } = await import('ioredis');
  const redis = new Redis(REDIS, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [nextCursor, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      if (keys.length) await redis.del(...keys);
      cursor = nextCursor;
    } while (cursor !== '0');
  } catch {
    /* nothing to clean or no Redis */
  } finally {
    redis.disconnect();
  }
}

const m = machine();
const f1 = (n) => (Number.isFinite(n) ? n.toFixed(1) : '–');
const f2 = (n) => (Number.isFinite(n) ? n.toFixed(2) : '–');
for (const t of targets) t.medians = Object.fromEntries(Object.entries(t.runs).map(([k, runs]) => [k, median(runs, (f) => f.deliveredPerSec)]));
const bare = targets.find((t) => t.ports[0] === 3251);
const parley = targets.find((t) => t.ports[0] === 3253);
const markdown = [
  `## ${m.date.slice(0, 10)} — two nodes (\`npm run bench:cluster\`${quick ? ' -- --quick' : ''})`,
  '',
  `Machine: ${m.cpu}, ${m.memory}, Node ${m.node}; commit ${m.commit}; load average at start ${m.load}. Cores: ${budget.note}, node 1 on ${nodeCores(0) ?? 'any'}, node 2 on ${nodeCores(1) ?? 'any'}; Redis and MariaDB not pinned (their CPU per delivered message is shown apart). Every room's members alternate between the two nodes; ${IN_FLIGHT} sends in flight per sender, ${DURATION / 1000} s per run, ${ROUNDS} interleaved round(s) after a warm-up pass, median round by delivered/s.`,
  '',
  '| shape | target | delivered/s | sends/s | servers CPU µs / delivered | + redis µs | + db µs | e2e p50 / p99 ms | ack p99 ms | client CPU | delivered / expected |',
  '|---|---|---|---|---|---|---|---|---|---|---|',
  ...SHAPES.flatMap((s) =>
    targets.map((t) => {
      const f = t.medians[s.label];
      return `| ${s.label} | ${t.name} | ${f.deliveredPerSec.toFixed(0)} | ${f.sendsPerSec.toFixed(0)} | ${f2(f.serverCpuUsPerDelivered)} | ${f2(f.serviceCpuUsPerDelivered.redis)} | ${f2(f.serviceCpuUsPerDelivered.db)} | ${f1(f.e2e.p50)} / ${f1(f.e2e.p99)} | ${f1(f.ack.p99)} | ${f.clientCpuPct.toFixed(0)}% | ${f.deliveryRatio.toFixed(3)} |`;
    }),
  ),
  ...(bare && parley
    ? [
        '',
        `Parley ÷ bare, per shape (delivered/s, servers CPU per delivered, e2e p99): ${SHAPES.map((s) => {
          const p = parley.medians[s.label];
          const b = bare.medians[s.label];
          return `${s.label}: ${(p.deliveredPerSec / b.deliveredPerSec).toFixed(2)}×, ${(p.serverCpuUsPerDelivered / b.serverCpuUsPerDelivered).toFixed(2)}×, ${(p.e2e.p99 / b.e2e.p99).toFixed(2)}×`;
        }).join('; ')}.`,
      ]
    : []),
  '',
  `Server threads: ${targets.map((t) => `${t.name} ${t.affinity.map((a) => `${a.threads} ${budget.pinned ? (a.ok ? 'pinned' : `NOT PINNED ${JSON.stringify(a.lists)}`) : 'not pinned'}`).join(' / ')}`).join('; ')}.`,
].join('\n');
const files = writeReport(quick ? 'cluster-quick' : 'cluster', markdown, {
  machine: m,
  budget,
  nodeCores: [nodeCores(0), nodeCores(1)],
  config: { shapes: SHAPES, rounds: ROUNDS, durationMs: DURATION, inFlight: IN_FLIGHT, workers: WORKERS },
  results: targets.map((t) => ({ name: t.name, runs: t.runs, medians: t.medians, affinity: t.affinity })),
});
console.log(`\n${markdown}\n\nwritten: ${files.md}, ${files.json}`);
process.exit(0);
