// npm run bench:webhooks [-- --quick]: (1) the delivery rate one node sustains: a backlog of
// message.created events is put in the outbox of a stopped node, which then starts and
// delivers it to a receiver in this process; (2) what webhooks add to message:send: the same
// fan-out load against a node with webhooks on and one with them off, in interleaved rounds.
// Prints the figures (add them to bench/RESULTS.md by hand with the machine's load).
import Database from 'better-sqlite3';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:http';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConnection } from 'mysql2/promise';
import { fanout } from './load/fanout.mjs';
import { coreBudget, cpuSecondsOf, cpuSecondsOfAll, parleyEnv, pinSelf, registerUsers, servicePids, startServer, stopServer } from './lib.mjs';
import { commandLine } from './lib.mjs';

commandLine(import.meta.url, ['quick']);

const quick = process.argv.includes('--quick');
const BACKLOG = quick ? 5000 : 20_000;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? (quick ? 1 : 3));
const DURATION = quick ? 3000 : 6000;
const ROOMS = 10;
const MEMBERS = quick ? 5 : 10;
const MYSQL = process.env.BENCH_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/parley_bench_hooks';
const SECRET = 'bench-webhook-secret-0123456789abcdefghijklmnop';
// the server on its own core(s), this process, its receiver and the load generators on the rest
const budget = coreBudget();
pinSelf(budget.clients);
const MARIADB = ['mariadbd', 'mysqld'];

/** Counts what arrives; answers 204 at once. */
function receiver(port) {
  const state = { count: 0, firstAt: 0, lastAt: 0 };
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const now = performance.now();
      if (state.count++ === 0) state.firstAt = now;
      state.lastAt = now;
      res.writeHead(204).end();
    });
  });
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve({ state, close: () => new Promise((r) => server.close(r)) })));
}

const ulidish = (i) => `BENCH${String(i).padStart(21, '0')}`;
const backlogRows = (count) => {
  const at = new Date(Date.now() - 1000);
  return Array.from({ length: count }, (_, i) => {
    const id = ulidish(i);
    const message = {
      id: `M${id.slice(1)}`,
      room: 'bench',
      body: 'x'.repeat(120),
      sender: { id: 'U'.repeat(26), displayName: 'Bench' },
      createdAt: at.toISOString(),
      editedAt: null,
      deletedAt: null,
      reactions: [],
    };
    return [id, 'message.created', JSON.stringify({ id, type: 'message.created', at: at.toISOString(), data: { message } }), at];
  });
};

async function fillSqlite(path, count) {
  const db = new Database(path);
  const insert = db.prepare(
    'INSERT INTO webhook_events (id, type, body, subject, attempts, deliver_after, claimed_by, claimed_until, created_at) VALUES (?, ?, ?, NULL, 0, ?, NULL, NULL, ?)',
  );
  const time = (d) => d.toISOString().replace('T', ' ').replace('Z', '');
  db.transaction(() => {
    for (const [id, type, body, at] of backlogRows(count)) insert.run(id, type, body, time(at), time(at));
  })();
  db.close();
}

async function fillMysql(url, count) {
  const conn = await createConnection({ uri: url, timezone: 'Z' });
  const rows = backlogRows(count);
  for (let i = 0; i < rows.length; i += 1000) {
    const chunk = rows.slice(i, i + 1000);
    await conn.query(
      'INSERT INTO webhook_events (id, type, body, subject, attempts, deliver_after, claimed_by, claimed_until, created_at) VALUES ?',
      [chunk.map(([id, type, body, at]) => [id, type, body, null, 0, at, null, null, at])],
    );
  }
  await conn.end();
}

async function freshMysql() {
  const url = new URL(MYSQL);
  const conn = await createConnection({ uri: MYSQL.replace(/\/[^/]*$/, '/') });
  await conn.query(`DROP DATABASE IF EXISTS \`${url.pathname.slice(1)}\``);
  await conn.query(`CREATE DATABASE \`${url.pathname.slice(1)}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  await conn.end();
  return MYSQL;
}

/** (1) A stopped node's backlog, delivered after it starts: events per second. */
async function deliveryRate(name, databaseUrl, fill) {
  const port = 3301;
  const sink = await receiver(3399);
  const env = { ...parleyEnv({ port, databaseUrl, bcryptCost: 4 }), WEBHOOK_URL: 'http://127.0.0.1:3399/hooks', WEBHOOK_SECRET: SECRET };
  // first start applies the migrations; stopped before anything is queued
  await stopServer(await startServer('dist/main.js', env, { port, cores: budget.server }));
  await fill(BACKLOG);
  const server = await startServer('dist/main.js', env, { port, cores: budget.server });
  const cpuBefore = cpuSecondsOf(server.child.pid);
  const db = servicePids(MARIADB);
  const dbBefore = cpuSecondsOfAll(db);
  const deadline = Date.now() + 300_000;
  while (sink.state.count < BACKLOG && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  const seconds = (sink.state.lastAt - sink.state.firstAt) / 1000;
  const cpu = cpuSecondsOf(server.child.pid) - cpuBefore;
  const dbCpu = cpuSecondsOfAll(db) - dbBefore;
  await stopServer(server);
  await sink.close();
  const rate = sink.state.count / seconds;
  const perEvent = (s) => ((s * 1e6) / sink.state.count).toFixed(0);
  console.log(
    `${name}: ${sink.state.count} of ${BACKLOG} events delivered in ${seconds.toFixed(1)} s: ${rate.toFixed(0)} events/s, server CPU ${perEvent(cpu)} µs per event${databaseUrl.startsWith('mysql') ? ` (MariaDB ${perEvent(dbCpu)} µs)` : ''}`,
  );
  return rate;
}

/** (2) The fan-out with webhooks on and off, same database kind, interleaved rounds. */
async function sendCost(kind) {
  const sink = await receiver(3398);
  const nodes = [];
  for (const [i, on] of [
    [0, false],
    [1, true],
  ]) {
    const port = 3310 + i;
    const databaseUrl =
      kind === 'sqlite'
        ? `sqlite:${join(mkdtempSync(join(tmpdir(), 'bench-hooks-')), 'app.sqlite')}`
        : await freshMysqlNamed(`parley_bench_hooks_${i}`);
    const env = {
      ...parleyEnv({ port, databaseUrl, bcryptCost: 4 }),
      ...(on ? { WEBHOOK_URL: 'http://127.0.0.1:3398/hooks', WEBHOOK_SECRET: SECRET, WEBHOOK_EVENTS: 'message.created' } : {}),
    };
    const server = await startServer('dist/main.js', env, { port, cores: budget.server });
    const url = `http://127.0.0.1:${port}`;
    const tokens = (await registerUsers(url, ROOMS * MEMBERS)).map((u) => u.accessToken);
    nodes.push({ name: `${kind}, webhooks ${on ? 'on' : 'off'}`, server, url, tokens, runs: [] });
  }
  const services = kind === 'mariadb' ? { db: servicePids(MARIADB) } : {};
  const load = (n) => ({
    url: n.url,
    tokens: n.tokens,
    rooms: ROOMS,
    members: MEMBERS,
    senders: MEMBERS,
    workers: 2,
    inFlight: 2,
    durationMs: DURATION,
    pids: [n.server.child.pid],
    services,
  });
  for (const n of nodes) await fanout({ ...load(n), durationMs: 1000 }); // warm-up
  for (let round = 0; round < ROUNDS; round++) {
    for (const n of nodes) {
      const run = await fanout(load(n));
      run.cpuUsPerSend = (run.serverCpuS * 1e6) / run.acked;
      run.dbUsPerSend = ((run.serviceCpuUsPerDelivered.db ?? NaN) * run.delivered) / run.acked;
      n.runs.push(run);
    }
  }
  const hooked = sink.state.count;
  for (const n of nodes) await stopServer(n.server);
  await sink.close();
  const median = (runs, key) => [...runs].map(key).sort((a, b) => a - b)[Math.floor(runs.length / 2)];
  for (const n of nodes) {
    console.log(
      `${n.name}: ${median(n.runs, (r) => r.sendsPerSec).toFixed(0)} sends/s, ack p50 ${median(n.runs, (r) => r.ack.p50).toFixed(1)} p99 ${median(n.runs, (r) => r.ack.p99).toFixed(1)} ms, server CPU ${median(n.runs, (r) => r.cpuUsPerSend).toFixed(0)} µs per send${kind === 'mariadb' ? ` (MariaDB ${median(n.runs, (r) => r.dbUsPerSend).toFixed(0)} µs)` : ''} (rounds: ${n.runs.map((r) => r.sendsPerSec.toFixed(0)).join(', ')} sends/s)`,
    );
  }
  console.log(`  (${hooked} message.created delivered meanwhile)`);
}

async function freshMysqlNamed(name) {
  const base = MYSQL.replace(/\/[^/]*$/, '/');
  const conn = await createConnection({ uri: base });
  await conn.query(`DROP DATABASE IF EXISTS \`${name}\``);
  await conn.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  await conn.end();
  return `${base}${name}`;
}

console.log(
  `webhooks bench${quick ? ' (quick)' : ''}; ${budget.note}; load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
const sqlitePath = join(mkdtempSync(join(tmpdir(), 'bench-hooks-')), 'app.sqlite');
await deliveryRate('delivery, sqlite', `sqlite:${sqlitePath}`, (n) => fillSqlite(sqlitePath, n));
const mysqlUrl = await freshMysql().catch(() => null);
if (mysqlUrl) await deliveryRate('delivery, mariadb', mysqlUrl, (n) => fillMysql(mysqlUrl, n));
await sendCost('sqlite');
if (mysqlUrl) await sendCost('mariadb');
