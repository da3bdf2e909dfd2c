// Fan-out load of one shape: `rooms` rooms of `members` sockets each, the first `senders`
// members of every room sending flat out with `inFlight` sends awaiting their ack, for
// `durationMs`, over `workers` load-generator processes (which inherit this process's CPU
// affinity: the load generators' cores). Socket i is member floor(i / rooms) of room i % rooms,
// so every worker holds members of every room; with several `urls` (nodes) a room's members are
// spread over them. The servers' CPU (`pids`, every thread) and that of the services they use
// (`services`: { label: pids }, e.g. MariaDB, Redis) is read when the senders start and once every worker has
// stopped, so connecting and closing the sockets is not counted.
import { fork } from 'node:child_process';
import { cpuSecondsOfAll, summarize } from '../lib.mjs';

export async function fanout({
  urls,
  url,
  tokens,
  rooms,
  members,
  senders,
  inFlight = 2,
  durationMs = 6000,
  workers = 1,
  roomPrefix = 'bench',
  pids = [],
  services = {},
  sampleEvery,
}) {
  const targets = urls ?? [url];
  const sockets = rooms * members;
  if (tokens.length < sockets) throw new Error(`fanout needs ${sockets} tokens, got ${tokens.length}`);
  const every = sampleEvery ?? 10; // end-to-end latency of every 10th delivery
  const share = Math.ceil(sockets / workers);
  const procs = [];
  for (let w = 0; w < workers && w * share < sockets; w++) {
    const from = w * share;
    const to = Math.min(sockets, from + share);
    const child = fork(new URL('./worker.mjs', import.meta.url).pathname, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const ready = new Promise((resolve, reject) => {
      child.once('message', (m) => (m.type === 'ready' ? resolve() : reject(new Error(m.error))));
      child.once('exit', (code) => reject(new Error(`load worker exited with ${code}`)));
    });
    child.send({
      type: 'config',
      cfg: { urls: targets, tokens: tokens.slice(from, to), from, rooms, senders, inFlight, durationMs, roomPrefix, sampleEvery: every },
    });
    procs.push({ child, ready });
  }
  await Promise.all(procs.map((p) => p.ready));
  const stopped = procs.map((p) => new Promise((resolve) => p.child.on('message', (m) => m.type === 'stopped' && resolve(m))));
  const cpu0 = cpuSecondsOfAll(pids);
  const svc0 = Object.fromEntries(Object.entries(services).map(([k, p]) => [k, cpuSecondsOfAll(p)]));
  const start = performance.now();
  for (const p of procs) p.child.send({ type: 'go' });
  const done = await Promise.all(stopped);
  const serverCpuS = cpuSecondsOfAll(pids) - cpu0;
  const serviceCpuS = Object.fromEntries(Object.entries(services).map(([k, p]) => [k, cpuSecondsOfAll(p) - svc0[k]]));
  const wall = (performance.now() - start) / 1000;
  const closed = procs.map((p) => new Promise((resolve) => p.child.once('exit', resolve)));
  for (const p of procs) p.child.send({ type: 'close' });
  await Promise.all(closed);
  // the send window: from go until the last ack came back
  const seconds = Math.max(...done.map((d) => d.sendWindowMs)) / 1000;
  const sum = (k) => done.reduce((a, d) => a + d[k], 0);
  const acked = sum('acked');
  const delivered = sum('delivered');
  return {
    shape: { rooms, members, senders: Math.min(senders, members), inFlight, durationMs, nodes: targets.length },
    sendsPerSec: acked / seconds,
    deliveredPerSec: delivered / seconds,
    acked,
    failed: sum('failed'),
    delivered,
    // every member, the sender's own sockets included, receives each message of its room once
    deliveryRatio: acked ? delivered / (acked * members) : NaN,
    ack: summarize(done.flatMap((d) => d.ackLatencies)),
    e2e: summarize(done.flatMap((d) => d.deliveryLatencies)),
    e2eSampleEvery: every,
    clientCpuPct: (sum('cpuMs') / 1000 / wall) * 100,
    serverCpuS,
    serverCpuUsPerDelivered: delivered ? (serverCpuS * 1e6) / delivered : NaN,
    serverCpuPct: (serverCpuS / wall) * 100,
    // µs per delivered message of each service (not in the server's budget)
    serviceCpuUsPerDelivered: Object.fromEntries(Object.entries(serviceCpuS).map(([k, cpu]) => [k, delivered ? (cpu * 1e6) / delivered : NaN])),
  };
}

/** "20x5/1" (rooms × members / senders per room; "all" = every member) → a shape. */
export function parseShape(text) {
  const m = /^(\d+)x(\d+)\/(\d+|all)$/.exec(text.trim());
  if (!m) throw new Error(`bad shape "${text}": expected ROOMSxMEMBERS/SENDERS, e.g. 20x5/1 or 2x500/all`);
  const rooms = Number(m[1]);
  const members = Number(m[2]);
  return {
    rooms,
    members,
    senders: m[3] === 'all' ? members : Math.min(members, Number(m[3])),
    label: `${rooms}×${members}, ${m[3] === 'all' || Number(m[3]) >= members ? 'all' : m[3]} sending`,
  };
}
