// Shared helpers for the benchmarks (run by hand; figures go to bench/RESULTS.md).
import { execSync, spawn } from 'node:child_process';
import {
  closeSync,
  fdatasyncSync,
  fsyncSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import jwt from 'jsonwebtoken';
import { join } from 'node:path';
import { cpus, totalmem, loadavg, tmpdir } from 'node:os';
import { once } from 'node:events';

export const root = new URL('..', import.meta.url).pathname;

export function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

export function summarize(samples) {
  const sorted = [...samples].sort((a, b) => a - b);
  const mean = sorted.reduce((a, b) => a + b, 0) / sorted.length;
  return { n: sorted.length, p50: percentile(sorted, 50), p99: percentile(sorted, 99), mean };
}

export function machine() {
  let commit = 'unknown';
  try {
    commit = execSync('git rev-parse --short HEAD', { cwd: root }).toString().trim();
  } catch {
    /* not a checkout */
  }
  return {
    date: new Date().toISOString(),
    cpu: `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}`,
    memory: `${Math.round(totalmem() / 2 ** 30)} GiB`,
    node: process.version,
    commit,
    load: loadavg()
      .map((l) => l.toFixed(2))
      .join(' '),
  };
}

/** Servers this process started: none outlives it, however it ends. */
const started = new Set();
process.once('exit', () => {
  for (const child of started) child.kill('SIGKILL');
});
for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => process.exit(130));

/**
 * Starts `node [nodeArgs] <script>` with env, resolves once it answers `healthPath`.
 * `cores` (a list such as "0" or "0-1") pins the process with `taskset -c`: every thread it
 * starts afterwards (the SQLite writer, the bcrypt threads, libuv's pool, V8's helpers) inherits
 * that affinity. `nofile` raises the open-files limit (up to the hard limit) before node starts.
 * Both go through exec, so `child.pid` is the server's own pid.
 */
export async function startServer(script, env, { port, healthPath = '/health', nodeArgs = [], ipc = false, cores, nofile, timeoutMs = 20_000 } = {}) {
  // a server left over on the port would answer the health check in this one's place
  const stale = await fetch(`http://127.0.0.1:${port}${healthPath}`).then(
    () => true,
    () => false,
  );
  if (stale) throw new Error(`port ${port} is already in use (a server left over from an earlier run?)`);
  const node = [process.execPath, ...nodeArgs, script];
  const pinned = cores ? ['taskset', '-c', cores, ...node] : node;
  const argv = nofile ? ['sh', '-c', `ulimit -n ${Number(nofile)} && exec "$@"`, 'sh', ...pinned] : pinned;
  const child = spawn(argv[0], argv.slice(1), {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe', ...(ipc ? ['ipc'] : [])],
  });
  started.add(child);
  child.once('exit', () => started.delete(child));
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}${healthPath}`);
      if (res.ok) return { child, output: () => output, cores };
    } catch {
      /* not up yet */
    }
    if (child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`server ${script} did not start:\n${output}`);
}

export async function stopServer(server) {
  if (server.child.exitCode !== null) return;
  server.child.kill('SIGTERM');
  await Promise.race([once(server.child, 'exit'), new Promise((r) => setTimeout(r, 12_000))]);
  if (server.child.exitCode === null) server.child.kill('SIGKILL');
}

export const BENCH_SECRETS = {
  JWT_ACCESS_SECRET: 'bench-access-secret-0123456789abcdefghijklmnop',
  JWT_REFRESH_SECRET: 'bench-refresh-secret-0123456789abcdefghijklmno',
};

/**
 * Environment for a Parley server under a benchmark: production mode, the bench secrets, and
 * no rate limit or per-user socket cap in the load's way.
 */
export function parleyEnv({ port, databaseUrl, bcryptCost }) {
  return {
    ...BENCH_SECRETS,
    NODE_ENV: 'production',
    PORT: String(port),
    DATABASE_URL: databaseUrl,
    LOG_LEVEL: 'warn',
    BCRYPT_COST: String(bcryptCost),
    AUTH_RATE_LIMIT: '1000000/1s',
    AUTH_IP_RATE_LIMIT: '1000000/1s',
    WS_RATE_LIMIT: '1000000/1s',
    WS_CONNECT_RATE_LIMIT: '1000000/1s',
    WS_MAX_CONNECTIONS_PER_USER: '10000',
    MAIL_OUTBOX_DIR: mkdtempSync(join(tmpdir(), 'bench-outbox-')),
    // a benchmark server stops at once (no load balancer to drain for)
    SHUTDOWN_GRACE: '1ms',
  };
}

/** Node flags that let `memoryAfterGc` ask the server for a full GC (pass `ipc: true` too). */
export const MEMORY_PROBE_ARGS = ['--expose-gc', '-r', join(root, 'bench/support/memory-probe.cjs')];

/** The server's memory after a full GC: RSS from /proc, heap and external from the process. */
export async function memoryAfterGc(server) {
  const reply = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the server did not answer the memory probe')), 10_000);
    server.child.once('message', (message) => {
      clearTimeout(timer);
      resolve(message.memory);
    });
  });
  server.child.send('memory-probe');
  const usage = await reply;
  const rss = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${server.child.pid}/status`, 'utf8'))[1]) * 1024;
  return { rss, heapUsed: usage.heapUsed, external: usage.external };
}

/** POSTs JSON and returns the parsed answer; throws on a non-2xx status. */
export async function post(url, path, body) {
  const res = await fetch(`${url}${path}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return res.json();
}

/**
 * Registers `count` users on a Parley server, a few at a time; returns their AuthResponses.
 * A 503 (the bcrypt threads' queue is full: on one pinned core at cost 12 that takes only a
 * few registrations at once) is retried after a pause.
 */
export async function registerUsers(url, count, prefix = 'bench', parallel = 4) {
  const register = async (i) => {
    for (let attempt = 0; ; attempt++) {
      try {
        return await post(url, '/auth/register', {
          email: `${prefix}${Date.now()}-${i}@example.com`,
          password: 'correct horse battery',
          displayName: `${prefix} ${i}`,
        });
      } catch (error) {
        if (!/: 503 /.test(error.message) || attempt >= 20) throw error;
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
  };
  const users = [];
  for (let i = 0; i < count; i += parallel) {
    users.push(...(await Promise.all(Array.from({ length: Math.min(parallel, count - i) }, (_, j) => register(i + j)))));
  }
  return users;
}

const CLOCK_TICKS = (() => {
  try {
    return Number(execSync('getconf CLK_TCK').toString().trim()) || 100;
  } catch {
    return 100;
  }
})();

const statTicks = (path) => {
  const fields = readFileSync(path, 'utf8').split(') ')[1].split(' ');
  return Number(fields[11]) + Number(fields[12]); // utime, stime
};

/**
 * CPU seconds (user + system) the process has used so far, over all of its threads: the
 * process-wide line of /proc/<pid>/stat sums every thread, those that have already exited
 * included (`checkCpuAccounting` shows it against the per-thread lines).
 */
export function cpuSecondsOf(pid) {
  return statTicks(`/proc/${pid}/stat`) / CLOCK_TICKS;
}

/** CPU seconds of the event loop (the main thread) and of every other thread together. */
export function threadCpuOf(pid) {
  let others = 0;
  let main = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const ticks = statTicks(`/proc/${pid}/task/${tid}/stat`);
      if (tid === String(pid)) main = ticks;
      else others += ticks;
    } catch {
      /* the thread ended while we read */
    }
  }
  return { mainThread: main / CLOCK_TICKS, otherThreads: others / CLOCK_TICKS, threads: readdirSync(`/proc/${pid}/task`).length };
}

/**
 * Evidence that the process line counts every thread: its total against the sum of the live
 * threads' lines (equal, or larger by what threads that already exited used).
 */
export function checkCpuAccounting(pid) {
  const total = cpuSecondsOf(pid);
  const { mainThread, otherThreads, threads } = threadCpuOf(pid);
  return { processCpuS: total, sumOfThreadsCpuS: mainThread + otherThreads, threads, covers: total + 2 / CLOCK_TICKS >= mainThread + otherThreads };
}

/** The CPU list every thread of the process may run on, and whether they all agree with `expected`. */
export function threadAffinity(pid, expected) {
  const lists = new Map();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const list = /Cpus_allowed_list:\s*(\S+)/.exec(readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8'))[1];
      lists.set(list, (lists.get(list) ?? 0) + 1);
    } catch {
      /* the thread ended while we read */
    }
  }
  const threads = [...lists.values()].reduce((a, b) => a + b, 0);
  return { threads, lists: Object.fromEntries(lists), ok: expected === undefined || (lists.size === 1 && lists.has(normaliseCpuList(expected))) };
}

/** "0,1,2" and "0-2" name the same cores; /proc prints ranges. */
function normaliseCpuList(list) {
  const cores = parseCpuList(list);
  const parts = [];
  for (let i = 0; i < cores.length; i++) {
    let j = i;
    while (j + 1 < cores.length && cores[j + 1] === cores[j] + 1) j++;
    parts.push(i === j ? `${cores[i]}` : `${cores[i]}-${cores[j]}`);
    i = j;
  }
  return parts.join(',');
}

function parseCpuList(list) {
  return list
    .split(',')
    .flatMap((part) => {
      const [a, b] = part.split('-').map(Number);
      return Array.from({ length: (b ?? a) - a + 1 }, (_, k) => a + k);
    })
    .sort((x, y) => x - y);
}

/**
 * The cores budget: `BENCH_SERVER_CORES` (default 1) of the cores this process may use go to
 * the server under test, the rest to the load generators. With fewer than two cores nothing is
 * pinned (and the report says so).
 */
export function coreBudget(serverCores = Number(process.env.BENCH_SERVER_CORES ?? 1)) {
  const all = parseCpuList(/Cpus_allowed_list:\s*(\S+)/.exec(readFileSync('/proc/self/status', 'utf8'))[1]);
  if (!(serverCores >= 1) || all.length <= serverCores) {
    return {
      pinned: false,
      server: undefined,
      clients: undefined,
      serverCount: all.length,
      clientCount: all.length,
      note: `not pinned: ${all.length} core(s) available, ${serverCores} asked for the server`,
    };
  }
  const server = all.slice(0, serverCores);
  const clients = all.slice(serverCores);
  return {
    pinned: true,
    server: normaliseCpuList(server.join(',')),
    clients: normaliseCpuList(clients.join(',')),
    serverCount: server.length,
    clientCount: clients.length,
    note: `server on core(s) ${normaliseCpuList(server.join(','))}, load generators on ${normaliseCpuList(clients.join(','))}`,
  };
}

/** Pins this process (every thread) and so every child it starts later to `cores`. */
export function pinSelf(cores) {
  if (cores) execSync(`taskset -a -p -c ${cores} ${process.pid}`, { stdio: 'ignore' });
}

/**
 * Services the servers use but do not start (MariaDB, Redis): their pids, so their CPU is
 * reported beside the server's (they run where the system put them, not in the budget).
 */
export function servicePids(names) {
  const pids = [];
  for (const name of names) {
    try {
      pids.push(...execSync(`pidof ${name}`).toString().trim().split(/\s+/).map(Number));
    } catch {
      /* not running */
    }
  }
  return pids;
}

/** CPU seconds of several processes together (a service that vanished counts 0). */
export function cpuSecondsOfAll(pids) {
  let total = 0;
  for (const pid of pids) {
    try {
      total += cpuSecondsOf(pid);
    } catch {
      /* gone */
    }
  }
  return total;
}

/**
 * Median time of an fdatasync after rewriting a 4 KiB block in the temporary directory (where
 * the SQLite files of the benchmarks live; SQLite syncs its WAL the same way once the WAL has
 * grown): what every durable commit waits for on this disk.
 */
export function fsyncMs(samples = 30) {
  const dir = mkdtempSync(join(tmpdir(), 'bench-fsync-'));
  const fd = openSync(join(dir, 'probe'), 'w');
  const times = [];
  try {
    const block = Buffer.alloc(4096, 1);
    writeSync(fd, block, 0, block.length, 0);
    fsyncSync(fd);
    for (let i = 0; i < samples; i++) {
      writeSync(fd, block, 0, block.length, 0);
      const t0 = performance.now();
      fdatasyncSync(fd);
      times.push(performance.now() - t0);
    }
  } finally {
    closeSync(fd);
    rmSync(dir, { recursive: true, force: true });
  }
  return summarize(times).p50;
}

export const median = (runs, key) => [...runs].sort((a, b) => key(a) - key(b))[Math.floor(runs.length / 2)];

/** Value of `--name=value` or `--name value` on the command line, else `fallback`. */
export function flag(name, fallback) {
  const argv = process.argv;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === `--${name}`) return argv[i + 1] !== undefined && !argv[i + 1].startsWith('--') ? argv[i + 1] : true;
    if (argv[i].startsWith(`--${name}=`)) return argv[i].slice(name.length + 3);
  }
  return fallback;
}

/** Writes bench/out/<name>-<stamp>.md and .json; returns their paths. */
export function writeReport(name, markdown, json) {
  const dir = join(root, 'bench', 'out');
  mkdirSync(dir, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
  const md = join(dir, `${name}-${stamp}.md`);
  const js = join(dir, `${name}-${stamp}.json`);
  writeFileSync(md, `${markdown}\n`);
  writeFileSync(js, `${JSON.stringify(json, null, 2)}\n`);
  return { md, json: js };
}

/** The hard open-files limit: the most sockets one process can hold here, less some headroom. */
export function openFilesHardLimit() {
  return Number(/Max open files\s+\d+\s+(\d+|unlimited)/.exec(readFileSync('/proc/self/limits', 'utf8'))[1].replace('unlimited', String(2 ** 30)));
}

/** Mints HS256 access tokens shaped like Parley's (the same path as a login's: verification never reads the database). */
export function mintAccessToken(user, sid, ttlSeconds = 3600) {
  return jwt.sign({ sub: user.id, sid, role: 'user', name: user.displayName, ev: false, typ: 'access', jti: sid }, BENCH_SECRETS.JWT_ACCESS_SECRET, {
    algorithm: 'HS256',
    expiresIn: ttlSeconds,
    issuer: 'parley',
    audience: 'parley-clients',
  });
}

/**
 * Every benchmark entry point: `--help` prints the script's usage (its leading `//` comment)
 * and exits 0; a flag it does not know prints the usage and exits 2, before anything starts.
 */
export function commandLine(scriptUrl, known) {
  const usage = readFileSync(new URL(scriptUrl), 'utf8')
    .split('\n')
    .filter((line, i, lines) => line.startsWith('//') && lines.slice(0, i).every((l) => l.startsWith('//') || l.startsWith('#!')))
    .map((line) => line.replace(/^\/\/ ?/, ''))
    .join('\n');
  const args = process.argv.slice(2);
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(`${usage}\n`);
    process.exit(0);
  }
  const unknown = args.filter((a) => a.startsWith('-') && !known.includes(a.replace(/^--?/, '').split('=')[0]));
  if (unknown.length > 0) {
    process.stderr.write(`unknown option ${unknown.join(', ')}\n\n${usage}\n`);
    process.exit(2);
  }
}
