// npm run bench:leak: 100,000 connect → authenticate → event → disconnect cycles, then 100,000
// refresh rotations, against one Parley process on SQLite. Every 10,000 operations the server
// runs a full GC (bench/support/memory-probe.cjs) and reports what survives; the figures are
// appended to bench/RESULTS.md. Memory is flat if the heap after GC stops growing once warm.
import { appendFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { io } from 'socket.io-client';
import { MEMORY_PROBE_ARGS, machine, memoryAfterGc, parleyEnv, post, registerUsers, root, startServer, stopServer } from './lib.mjs';
import { commandLine } from './lib.mjs';

commandLine(import.meta.url, []);

const OPERATIONS = Number(process.env.LEAK_OPERATIONS ?? 100_000);
const SAMPLE_EVERY = OPERATIONS / 10;
const PARALLEL = 50;
const USERS = 200;
const port = 3210;
const url = `http://127.0.0.1:${port}`;

const server = await startServer(
  'dist/main.js',
  parleyEnv({ port, databaseUrl: `sqlite:${join(mkdtempSync(join(tmpdir(), 'bench-leak-')), 'app.sqlite')}`, bcryptCost: 4 }),
  { port, ipc: true, nodeArgs: MEMORY_PROBE_ARGS },
);

const probe = () => memoryAfterGc(server);

const mib = (n) => (n / 2 ** 20).toFixed(1);

/** Runs `operation(i, lane)` OPERATIONS times on PARALLEL lanes, probing memory every SAMPLE_EVERY. */
async function phase(name, operation) {
  const samples = [{ done: 0, ...(await probe()) }];
  let next = 0;
  let failures = 0;
  const started = performance.now();
  const lane = async (_, laneIndex) => {
    while (next < OPERATIONS) {
      const i = next++;
      await operation(i, laneIndex).catch(() => failures++);
      if ((i + 1) % SAMPLE_EVERY === 0) samples.push({ done: i + 1, ...(await probe()) });
    }
  };
  await Promise.all(Array.from({ length: PARALLEL }, lane));
  const seconds = (performance.now() - started) / 1000;
  await new Promise((r) => setTimeout(r, 2000)); // disconnects and timers settle
  samples.push({ done: OPERATIONS, settled: true, ...(await probe()) });
  samples.sort((a, b) => a.done - b.done || Number(a.settled ?? 0) - Number(b.settled ?? 0));
  console.log(`\n${name}: ${OPERATIONS} in ${seconds.toFixed(0)} s (${(OPERATIONS / seconds).toFixed(0)}/s), ${failures} failed`);
  for (const s of samples)
    console.log(
      `  ${String(s.done).padStart(7)}${s.settled ? ' settled' : '        '}  RSS ${mib(s.rss)} MiB  heap ${mib(s.heapUsed)} MiB  external ${mib(s.external)} MiB`,
    );
  return { name, seconds, failures, samples };
}

const users = await registerUsers(url, USERS, 'leak');

const cycles = await phase('connect/auth/disconnect cycles', (i) => {
  const socket = io(`${url}/chat`, { auth: { token: users[i % USERS].accessToken }, transports: ['websocket'], reconnection: false, forceNew: true });
  return new Promise((resolve, reject) => {
    socket.once('connect_error', (error) => {
      socket.close();
      reject(error);
    });
    socket.once('connect', async () => {
      // one authenticated event per cycle: the per-event guard, a room and presence entry
      const ack = await socket
        .timeout(5000)
        .emitWithAck('room:join', { room: `leak-${i % 100}` })
        .catch(() => ({ ok: false }));
      socket.close();
      if (ack.ok) resolve();
      else reject(new Error('room:join failed'));
    });
  });
});

const chains = users.slice(0, PARALLEL).map((u) => u.refreshToken);
// each lane rotates its own session's token: two refreshes of one token at once count as reuse
const refreshes = await phase('refresh rotations', async (_, lane) => {
  const rotated = await post(url, '/auth/refresh', { refreshToken: chains[lane] });
  chains[lane] = rotated.refreshToken;
});

await stopServer(server);

const m = machine();
const row = (p) => {
  const warm = p.samples.find((s) => s.done === SAMPLE_EVERY);
  const last = p.samples.at(-1);
  return `| ${p.name} | ${OPERATIONS} in ${p.seconds.toFixed(0)} s, ${p.failures} failed | ${mib(p.samples[0].rss)} / ${mib(warm.rss)} / ${mib(last.rss)} | ${mib(p.samples[0].heapUsed)} / ${mib(warm.heapUsed)} / ${mib(last.heapUsed)} | ${p.samples.map((s) => mib(s.heapUsed)).join(', ')} |`;
};
const lines = [
  `\n## ${m.date.slice(0, 10)} — leak run (\`npm run bench:leak\`)`,
  '',
  `Machine: ${m.cpu}, ${m.memory}, Node ${m.node}; commit ${m.commit}; load average at start ${m.load}. One Parley process on SQLite; ${PARALLEL} operations in flight; memory read after a forced full GC.`,
  '',
  '| phase | operations | RSS MiB start / after first 10% / end | heap MiB start / after first 10% / end | heap MiB every 10% |',
  '|---|---|---|---|---|',
  row(cycles),
  row(refreshes),
];
appendFileSync(join(root, 'bench', 'RESULTS.md'), `${lines.join('\n')}\n`);
console.log(lines.join('\n'));
process.exit(0);
