// Fan-out load: R rooms × M members spread over W worker processes; S senders per worker
// send flat out for D ms. Returns acked sends/s, delivered message:new/s, ack and end-to-end
// latency percentiles, and the load generator's own CPU.
import { fork } from 'node:child_process';
import { summarize } from '../lib.mjs';

export async function fanout({ url, tokens, rooms, workers = 2, sendersPerWorker, inFlight = 4, durationMs = 8000 }) {
  const share = Math.ceil(tokens.length / workers);
  const procs = [];
  for (let w = 0; w < workers; w++) {
    const mine = tokens.slice(w * share, (w + 1) * share);
    const cfg = { url, tokens: mine, offset: w * share, rooms, senders: sendersPerWorker, inFlight, durationMs };
    const child = fork(new URL('./worker.mjs', import.meta.url).pathname, [JSON.stringify(cfg)], { stdio: 'inherit' });
    procs.push({ child, ready: new Promise((r) => child.once('message', r)) });
  }
  await Promise.all(procs.map((p) => p.ready));
  const results = procs.map((p) => new Promise((resolve) => p.child.on('message', (m) => m.type === 'done' && resolve(m))));
  const start = Date.now();
  for (const p of procs) p.child.send('go');
  const done = await Promise.all(results);
  const seconds = (Date.now() - start) / 1000;
  const sum = (k) => done.reduce((a, d) => a + d[k], 0);
  return {
    sendsPerSec: sum('acked') / seconds,
    failed: sum('failed'),
    deliveredPerSec: sum('delivered') / seconds,
    ack: summarize(done.flatMap((d) => d.ackLatencies)),
    e2e: summarize(done.flatMap((d) => d.deliveryLatencies)),
    clientCpuPct: (sum('cpuMs') / 1000 / seconds) * 100,
    acked: sum('acked'),
    delivered: sum('delivered'),
  };
}
