// npm run bench:live [-- --quick] [--subscribers N] [--in-flight K] [--database mysql://…]
// Publications: POST /api/v1/channels/public:bench/publications (server API, API key with the
// `notify` scope) fanned out to N `/live` subscribers of that channel (default 1,000), against a
// bare Socket.IO server that emits the same `publication` from the same HTTP route. Both servers
// pinned to BENCH_SERVER_CORES cores with every thread, publisher and subscribers on the others;
// interleaved rounds, medians. Publications/s, delivered/s, server CPU per delivered message,
// publish (HTTP answer) and end-to-end latency.
// If Parley cannot serve them (the key cannot be created, the route or /live refuses), the Parley
// side reports "not available" with the reason and only the bare peer is measured.
import { execFile, fork } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { io } from 'socket.io-client';
import {
  coreBudget,
  cpuSecondsOf,
  flag,
  machine,
  median,
  mintAccessToken,
  parleyEnv,
  pinSelf,
  registerUsers,
  root,
  startServer,
  stopServer,
  summarize,
  threadAffinity,
  writeReport,
} from './lib.mjs';
import { commandLine } from './lib.mjs';

commandLine(import.meta.url, ['database', 'in-flight', 'quick', 'subscribers']);

const quick = flag('quick', false) === true;
const SUBSCRIBERS = Number(flag('subscribers', quick ? 100 : 1000));
const IN_FLIGHT = Number(flag('in-flight', 4));
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? (quick ? 1 : 3));
const DURATION = Number(process.env.BENCH_DURATION_MS ?? (quick ? 2000 : 6000));
const CHANNEL = 'public:bench';
const now = () => performance.timeOrigin + performance.now();

const budget = coreBudget();
pinSelf(budget.clients);
const WORKERS = Number(process.env.BENCH_LOAD_WORKERS ?? budget.clientCount);
console.log(`cores: ${budget.note}; ${SUBSCRIBERS} subscribers, ${IN_FLIGHT} publications in flight`);

const databaseUrl = String(flag('database', `sqlite:${join(mkdtempSync(join(tmpdir(), 'bench-live-')), 'app.sqlite')}`));
const parleyPort = 3261;
const parleyEnvironment = { ...parleyEnv({ port: parleyPort, databaseUrl, bcryptCost: 4 }), API_RATE_LIMIT: '100000000/1s' };

/** Parley's side, or the reason it cannot run yet. */
async function parleyTarget() {
  const url = `http://127.0.0.1:${parleyPort}`;
  const server = await startServer('dist/main.js', parleyEnvironment, { port: parleyPort, cores: budget.server });
  const unavailable = async (why) => {
    await stopServer(server);
    return { unavailable: why };
  };
  let key;
  try {
    const { stdout } = await promisify(execFile)(process.execPath, ['dist/cli.js', 'api-key', 'create', 'bench', '--scopes', 'notify'], {
      cwd: root,
      env: { ...process.env, ...parleyEnvironment },
    });
    key = /pk_[A-Za-z0-9]+_[A-Za-z0-9_-]+/.exec(stdout)?.[0];
  } catch (error) {
    return unavailable(`\`npm run cli -- api-key create\` failed (${String(error.stderr ?? error.message).split('\n')[0]})`);
  }
  if (!key) return unavailable('`api-key create` printed no pk_… key');
  const probeOnce = () =>
    fetch(`${url}/api/v1/channels/${encodeURIComponent(CHANNEL)}/publications`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ data: { sentAt: now(), probe: true } }),
    });
  // the running server learns of a key created by another process at its next reload (every 500 ms)
  let probe = await probeOnce();
  for (let tries = 0; probe.status === 401 && tries < 10; tries++) {
    await new Promise((r) => setTimeout(r, 300));
    probe = await probeOnce();
  }
  if (probe.status !== 201) return unavailable(`POST /api/v1/channels/:channel/publications answered ${probe.status}`);
  const users = (await registerUsers(url, 20, 'live')).map((u) => ({ id: u.user.id, displayName: u.user.displayName }));
  const tokens = Array.from({ length: SUBSCRIBERS }, (_, k) => mintAccessToken(users[k % users.length], `live-${k}`));
  const live = io(`${url}/live`, { auth: { token: tokens[0] }, transports: ['websocket'], reconnection: false, forceNew: true });
  const connected = await new Promise((resolve) => {
    live.once('connect', () => resolve(true));
    live.once('connect_error', () => resolve(false));
  });
  live.close();
  if (!connected) return unavailable('the /live namespace refused or does not exist');
  return { name: 'parley', url, server, tokens, key };
}

async function bareTarget() {
  const port = 3262;
  const server = await startServer('bench/peers/bare-server.mjs', { PORT: String(port) }, { port, cores: budget.server });
  return {
    name: 'bare socket.io emit',
    url: `http://127.0.0.1:${port}`,
    server,
    tokens: Array.from({ length: SUBSCRIBERS }, (_, k) => mintAccessToken({ id: `u${k}`, displayName: 'peer' }, `u${k}`)),
    key: 'none',
  };
}

async function subscribe(target) {
  const share = Math.ceil(SUBSCRIBERS / WORKERS);
  target.workers = [];
  for (let w = 0; w * share < SUBSCRIBERS; w++) {
    const child = fork(new URL('./load/live-worker.mjs', import.meta.url).pathname, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const ready = new Promise((resolve, reject) => child.once('message', (m) => (m.type === 'ready' ? resolve() : reject(new Error(m.error)))));
    child.send({
      type: 'config',
      cfg: {
        url: target.url,
        channel: CHANNEL,
        tokens: target.tokens.slice(w * share, (w + 1) * share),
        sampleEvery: Math.max(1, Math.round(SUBSCRIBERS / 50)),
      },
    });
    target.workers.push({ child, ready });
  }
  await Promise.all(target.workers.map((w) => w.ready));
}

const ask = (target, type) =>
  Promise.all(
    target.workers.map(
      (w) =>
        new Promise((resolve) => {
          w.child.once('message', resolve);
          w.child.send({ type });
        }),
    ),
  );

async function round(target, durationMs = DURATION) {
  for (const w of target.workers) w.child.send({ type: 'go' });
  const endpoint = `${target.url}/api/v1/channels/${encodeURIComponent(CHANNEL)}/publications`;
  const headers = { Authorization: `Bearer ${target.key}`, 'Content-Type': 'application/json' };
  const publishLatencies = [];
  let failed = 0;
  let seq = 0;
  const cpu0 = cpuSecondsOf(target.server.child.pid);
  const started = performance.now();
  const stopAt = started + durationMs;
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (performance.now() < stopAt) {
        const t0 = performance.now();
        const res = await fetch(endpoint, { method: 'POST', headers, body: JSON.stringify({ data: { sentAt: now(), seq: seq++ } }) }).catch(
          () => null,
        );
        await res?.arrayBuffer();
        if (res?.status === 201) publishLatencies.push(performance.now() - t0);
        else failed++;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  await new Promise((r) => setTimeout(r, 300));
  const cpu = cpuSecondsOf(target.server.child.pid) - cpu0;
  const reports = await ask(target, 'report');
  const delivered = reports.reduce((a, r) => a + r.delivered, 0);
  const result = {
    publishedPerSec: publishLatencies.length / seconds,
    failed,
    deliveredPerSec: delivered / seconds,
    deliveryRatio: publishLatencies.length ? delivered / (publishLatencies.length * SUBSCRIBERS) : NaN,
    serverCpuUsPerDelivered: delivered ? (cpu * 1e6) / delivered : NaN,
    publish: summarize(publishLatencies),
    e2e: summarize(reports.flatMap((r) => r.latencies)),
  };
  console.log(
    `${target.name}: ${result.publishedPerSec.toFixed(0)} publications/s, ${result.deliveredPerSec.toFixed(0)} delivered/s, ${result.serverCpuUsPerDelivered.toFixed(2)} µs/delivered, publish p99 ${result.publish.p99.toFixed(1)} ms, e2e p99 ${result.e2e.p99.toFixed(1)} ms, delivered/expected ${result.deliveryRatio.toFixed(3)}, failed ${failed}`,
  );
  return result;
}

const parley = await parleyTarget();
if (parley.unavailable) console.log(`\nParley publications: not available — ${parley.unavailable}. Measuring the bare peer only.\n`);
const targets = [await bareTarget(), ...(parley.unavailable ? [] : [parley])];
for (const t of targets) {
  await subscribe(t);
  t.runs = [];
}
try {
  console.log('== warm-up (not counted) ==');
  for (const t of targets) await round(t, DURATION / 2);
  for (let r = 0; r < ROUNDS; r++) for (const t of targets) t.runs.push(await round(t));
  for (const t of targets) t.affinity = threadAffinity(t.server.child.pid, budget.server);
} finally {
  for (const t of targets) {
    await ask(t, 'close');
    await stopServer(t.server);
  }
}

const m = machine();
const f1 = (n) => (Number.isFinite(n) ? n.toFixed(1) : '–');
for (const t of targets) t.median = median(t.runs, (r) => r.deliveredPerSec);
const markdown = [
  `## ${m.date.slice(0, 10)} — publications to /live (\`npm run bench:live\`${quick ? ' -- --quick' : ''})`,
  '',
  `Machine: ${m.cpu}, ${m.memory}, Node ${m.node}; commit ${m.commit}; load average at start ${m.load}. Cores: ${budget.note}. ${SUBSCRIBERS} subscribers of \`${CHANNEL}\`, ${IN_FLIGHT} POSTs in flight, ${DURATION / 1000} s per run, ${ROUNDS} interleaved round(s), median by delivered/s.${parley.unavailable ? ` Parley: **not available** (${parley.unavailable}).` : ''}`,
  '',
  '| target | publications/s | delivered/s | server CPU µs / delivered | publish p50 / p99 ms | e2e p50 / p99 ms | delivered / expected | threads, all pinned |',
  '|---|---|---|---|---|---|---|---|',
  ...targets.map(
    (t) =>
      `| ${t.name} | ${t.median.publishedPerSec.toFixed(0)} | ${t.median.deliveredPerSec.toFixed(0)} | ${t.median.serverCpuUsPerDelivered.toFixed(2)} | ${f1(t.median.publish.p50)} / ${f1(t.median.publish.p99)} | ${f1(t.median.e2e.p50)} / ${f1(t.median.e2e.p99)} | ${t.median.deliveryRatio.toFixed(3)} | ${t.affinity.threads}, ${budget.pinned ? (t.affinity.ok ? 'yes' : 'NO') : 'not pinned'} |`,
  ),
].join('\n');
const files = writeReport(quick ? 'live-quick' : 'live', markdown, {
  machine: m,
  budget,
  config: { subscribers: SUBSCRIBERS, inFlight: IN_FLIGHT, rounds: ROUNDS, durationMs: DURATION },
  parley: parley.unavailable ? { available: false, reason: parley.unavailable } : { available: true },
  results: targets.map((t) => ({ name: t.name, runs: t.runs, median: t.median, affinity: t.affinity })),
});
console.log(`\n${markdown}\n\nwritten: ${files.md}, ${files.json}`);
process.exit(0);
