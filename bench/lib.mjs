// Shared helpers for the benchmarks (run by hand; figures go to bench/RESULTS.md).
import { execSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
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
    load: loadavg().map((l) => l.toFixed(2)).join(' '),
  };
}

/** Starts `node [nodeArgs] <script>` with env, resolves once it answers `healthPath`. */
export async function startServer(script, env, { port, healthPath = '/health', nodeArgs = [], ipc = false } = {}) {
  const child = spawn(process.execPath, [...nodeArgs, script], { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe', ...(ipc ? ['ipc'] : [])] });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}${healthPath}`);
      if (res.ok) return { child, output: () => output };
    } catch {
      /* not up yet */
    }
    if (child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 200));
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

/** Registers `count` users on a Parley server, a few at a time; returns their AuthResponses. */
export async function registerUsers(url, count, prefix = 'bench') {
  const users = [];
  for (let i = 0; i < count; i += 8) {
    const batch = Array.from({ length: Math.min(8, count - i) }, (_, j) =>
      post(url, '/auth/register', { email: `${prefix}${Date.now()}-${i + j}@example.com`, password: 'correct horse battery', displayName: `${prefix} ${i + j}` }),
    );
    users.push(...(await Promise.all(batch)));
  }
  return users;
}

/** CPU seconds (user + system) the process has used so far. */
export function cpuSecondsOf(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
}
