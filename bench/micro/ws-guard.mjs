// Cost of WsJwtGuard.canActivate per event (rate limit bucket + revocation + expiry), in µs,
// with the real class from dist and a socket shaped as Parley's.
import { createRequire } from 'node:module';
import { root, summarize } from '../lib.mjs';

const require = createRequire(import.meta.url);
const { WsJwtGuard } = require(`${root}dist/realtime/ws-jwt.guard.js`);
const { TokenBucket } = require(`${root}dist/realtime/rate-limiters.js`);
const { initSocketState } = require(`${root}dist/realtime/events.js`);

const ended = new Map(Array.from({ length: 10_000 }, (_, i) => [`ended-${i}`, 0]));
const guard = new WsJwtGuard({ isEnded: (sid) => ended.has(sid) });
const socket = {
  data: {
    user: { id: 'u', sid: 'live', role: 'user', displayName: 'x', emailVerified: true, expiresAt: Date.now() + 3_600_000 },
  },
  disconnect() {},
};
initSocketState(socket, { bucket: new TokenBucket({ limit: 1e12, windowMs: 1 }) });
const context = { switchToWs: () => ({ getClient: () => socket, getPattern: () => 'message:send' }) };

export function run() {
  for (let i = 0; i < 10_000; i++) guard.canActivate(context);
  const samples = [];
  for (let b = 0; b < 300; b++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < 1000; i++) guard.canActivate(context);
    samples.push(Number(process.hrtime.bigint() - start) / 1000 / 1000);
  }
  return summarize(samples);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const s = run();
  console.log(`WsJwtGuard per event: p50 ${s.p50.toFixed(3)} µs (p99 ${s.p99.toFixed(3)} µs)`);
}
