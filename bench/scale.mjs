// npm run bench:scale [-- --full | --sockets N] [--idle-seconds S] [--database mysql://…] [--quick]
// How many authenticated idle sockets one Parley process holds on its core budget, what each
// costs in RSS, and what the heartbeat costs at idle. The server is pinned (with every thread)
// to BENCH_SERVER_CORES cores, the load generators (bench/load/idle-worker.mjs, a bare
// WebSocket speaking the Socket.IO protocol) to the others, their sockets spread over several
// 127.0.0.x source addresses so the ephemeral ports of one address do not run out.
// Default 10,000 sockets; --full = 100,000 (needs an open-files limit above that: the script
// raises the soft limit to the hard one and says so when the hard one is too low).
import { fork } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  MEMORY_PROBE_ARGS,
  coreBudget,
  cpuSecondsOf,
  flag,
  machine,
  memoryAfterGc,
  openFilesHardLimit,
  parleyEnv,
  pinSelf,
  registerUsers,
  startServer,
  stopServer,
  threadAffinity,
  threadCpuOf,
  writeReport,
} from './lib.mjs';
import { commandLine } from './lib.mjs';

commandLine(import.meta.url, ['database', 'full', 'idle-seconds', 'per-worker', 'quick', 'sockets']);

const quick = flag('quick', false) === true;
const REQUESTED = flag('full', false) === true ? 100_000 : Number(flag('sockets', quick ? 2000 : 10_000));
const IDLE_SECONDS = Number(flag('idle-seconds', quick ? 10 : 60));
const PER_WORKER = Number(flag('per-worker', 12_500));
const PER_ADDRESS = 20_000; // of the ~28,000 ephemeral ports one source address has
const port = 3230;
const url = `http://127.0.0.1:${port}`;

const budget = coreBudget();
pinSelf(budget.clients);
const hard = openFilesHardLimit();
// the server needs a descriptor per socket plus its own (database, log, epoll, pipes)
const SOCKETS = Math.min(REQUESTED, hard - 500);
const capped = SOCKETS < REQUESTED;
if (capped) {
  console.log(
    `\n!! ${REQUESTED} sockets asked for, but the open-files hard limit here is ${hard} (ulimit -Hn), so one process can hold at most about ${SOCKETS}: measuring ${SOCKETS}. Raise the hard limit (e.g. LimitNOFILE / limits.conf / docker --ulimit nofile=200000:200000) for the full run.\n`,
  );
}
console.log(`cores: ${budget.note}; ${SOCKETS} sockets`);

const databaseUrl = String(flag('database', `sqlite:${join(mkdtempSync(join(tmpdir(), 'bench-scale-')), 'app.sqlite')}`));
const env = { ...parleyEnv({ port, databaseUrl, bcryptCost: 4 }), WS_MAX_CONNECTIONS_PER_USER: '10000', WS_CONNECT_RATE_LIMIT: '100000000/1s' };
const server = await startServer('dist/main.js', env, {
  port,
  ipc: true,
  nodeArgs: MEMORY_PROBE_ARGS,
  cores: budget.server,
  nofile: Math.min(hard, SOCKETS + 2000),
  timeoutMs: 60_000,
});
const pid = server.child.pid;
const users = (await registerUsers(url, Math.max(20, Math.ceil(SOCKETS / 5000)), 'scale')).map((u) => ({
  id: u.user.id,
  displayName: u.user.displayName,
}));

/** The server's CPU over `seconds` of doing nothing but what the sockets make it do. */
async function idleCpu(seconds) {
  const a = threadCpuOf(pid);
  const c0 = cpuSecondsOf(pid);
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const b = threadCpuOf(pid);
  return { cpuS: cpuSecondsOf(pid) - c0, mainThreadS: b.mainThread - a.mainThread, otherThreadsS: b.otherThreads - a.otherThreads, seconds };
}

await new Promise((r) => setTimeout(r, 2000)); // boot work settles
console.log(`empty server: measuring its idle CPU for ${IDLE_SECONDS} s`);
const emptyCpu = await idleCpu(IDLE_SECONDS);
// after the idle window: what boot left to collect is gone by then, as it is for the loaded reading
const empty = await memoryAfterGc(server);
console.log(`empty server: RSS ${(empty.rss / 2 ** 20).toFixed(1)} MiB after a full GC`);

const addresses = Array.from({ length: Math.max(2, Math.ceil(SOCKETS / PER_ADDRESS) + 1) }, (_, i) => `127.0.0.${i + 2}`);
const workerCount = Math.max(1, Math.ceil(SOCKETS / PER_WORKER));
const share = Math.ceil(SOCKETS / workerCount);
const workers = [];
const connectStart = performance.now();
for (let w = 0; w < workerCount; w++) {
  const child = fork(new URL('./load/idle-worker.mjs', import.meta.url).pathname, [], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    execArgv: ['--max-old-space-size=4096'],
  });
  const count = Math.min(share, SOCKETS - w * share);
  const connected = new Promise((resolve) => child.once('message', resolve));
  child.send({ type: 'config', cfg: { url, users, from: w * share, count, localAddresses: addresses, parallel: 100 } });
  workers.push({ child, connected });
}
const reports = await Promise.all(workers.map((w) => w.connected));
const connectSeconds = (performance.now() - connectStart) / 1000;
const connected = reports.reduce((a, r) => a + r.connected, 0);
const failures = {};
for (const r of reports) for (const [k, v] of Object.entries(r.failures)) failures[k] = (failures[k] ?? 0) + v;
console.log(
  `${connected} of ${SOCKETS} sockets connected and authenticated in ${connectSeconds.toFixed(1)} s (${(connected / connectSeconds).toFixed(0)}/s); failures ${JSON.stringify(failures)}`,
);

await new Promise((r) => setTimeout(r, 3000));
const loaded = await memoryAfterGc(server);
console.log(`loaded server: RSS ${(loaded.rss / 2 ** 20).toFixed(1)} MiB; measuring its idle CPU for ${IDLE_SECONDS} s`);
const loadedCpu = await idleCpu(IDLE_SECONDS);
const status = await Promise.all(
  workers.map(
    (w) =>
      new Promise((resolve) => {
        w.child.once('message', resolve);
        w.child.send({ type: 'status' });
      }),
  ),
);
const stillOpen = status.reduce((a, s) => a + s.open, 0);
const lost = status.reduce((a, s) => a + s.lost, 0);
const pings = status.reduce((a, s) => a + s.pings, 0);
const affinity = threadAffinity(pid, budget.server);
await Promise.all(
  workers.map(
    (w) =>
      new Promise((resolve) => {
        w.child.once('exit', resolve);
        w.child.send({ type: 'close' });
      }),
  ),
);
await stopServer(server);

const rssPerSocket = (loaded.rss - empty.rss) / connected;
const heapPerSocket = (loaded.heapUsed - empty.heapUsed) / connected;
const perSocketPerSecondUs = (cpu) => (cpu * 1e6) / connected / IDLE_SECONDS;
const heartbeatUs = perSocketPerSecondUs(loadedCpu.cpuS - emptyCpu.cpuS);
const m = machine();
const markdown = [
  `## ${m.date.slice(0, 10)} — scale run (\`npm run bench:scale\`${flag('full', false) === true ? ' -- --full' : ''})`,
  '',
  `Machine: ${m.cpu}, ${m.memory}, Node ${m.node}; commit ${m.commit}; load average at start ${m.load}. Cores: ${budget.note}. One Parley process (${databaseUrl.split(':')[0]}), ${workerCount} load-generator process(es), source addresses ${addresses[0]}–${addresses.at(-1)}; open-files hard limit ${hard}.${capped ? ` **Capped: ${REQUESTED} asked for, ${SOCKETS} possible under that limit.**` : ''}`,
  '',
  '| sockets asked / connected / still open after the idle window | connect rate /s | RSS empty → loaded MiB | RSS per socket KiB (target ≤ 10) | heap per socket KiB | idle CPU empty → loaded % of a core | heartbeat CPU µs per socket per second | server pings answered | threads, all pinned |',
  '|---|---|---|---|---|---|---|---|---|',
  `| ${REQUESTED} / ${connected} / ${stillOpen} | ${(connected / connectSeconds).toFixed(0)} | ${(empty.rss / 2 ** 20).toFixed(1)} → ${(loaded.rss / 2 ** 20).toFixed(1)} | ${(rssPerSocket / 1024).toFixed(2)} | ${(heapPerSocket / 1024).toFixed(2)} | ${((emptyCpu.cpuS / IDLE_SECONDS) * 100).toFixed(2)} → ${((loadedCpu.cpuS / IDLE_SECONDS) * 100).toFixed(2)} | ${heartbeatUs.toFixed(3)} (${perSocketPerSecondUs(loadedCpu.cpuS).toFixed(3)} without subtracting the empty server) | ${pings} | ${affinity.threads}, ${budget.pinned ? (affinity.ok ? 'yes' : `NO ${JSON.stringify(affinity.lists)}`) : 'not pinned'} |`,
  '',
  `Idle window ${IDLE_SECONDS} s (Engine.IO pings every 25 s: a window shorter than that sees only part of a heartbeat round). Heartbeat CPU = (loaded idle CPU − empty idle CPU) / sockets / seconds; of the loaded idle CPU, ${loadedCpu.mainThreadS.toFixed(2)} s on the event loop, ${loadedCpu.otherThreadsS.toFixed(2)} s on other threads. Connect failures: ${JSON.stringify(failures)}; lost while idle: ${lost}.`,
].join('\n');
const files = writeReport(`scale-${SOCKETS}`, markdown, {
  machine: m,
  budget,
  requested: REQUESTED,
  sockets: SOCKETS,
  capped,
  openFilesHardLimit: hard,
  connected,
  stillOpen,
  lost,
  failures,
  connectSeconds,
  empty,
  loaded,
  emptyCpu,
  loadedCpu,
  rssPerSocket,
  heapPerSocket,
  heartbeatUsPerSocketPerSecond: heartbeatUs,
  pings,
  affinity,
  addresses,
});
console.log(`\n${markdown}\n\nwritten: ${files.md}, ${files.json}`);
process.exit(0);
