// Profiles Parley under the fan-out load: node --cpu-prof, then the top self-time functions.
// node bench/profile.mjs  (SQLite; writes bench/out/*.cpuprofile)
import { mkdirSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fanout } from './load/fanout.mjs';
import { BENCH_SECRETS, root } from './lib.mjs';

const out = join(root, 'bench', 'out');
mkdirSync(out, { recursive: true });
const port = 3210;
const url = `http://127.0.0.1:${port}`;
const env = {
  ...process.env, ...BENCH_SECRETS, NODE_ENV: 'production', PORT: String(port), LOG_LEVEL: 'warn', BCRYPT_COST: '4',
  DATABASE_URL: `sqlite:${join(mkdtempSync(join(tmpdir(), 'prof-')), 'app.sqlite')}`,
  WS_RATE_LIMIT: '100000/1s', AUTH_RATE_LIMIT: '100000/1s', WS_CONNECT_RATE_LIMIT: '100000/1s',
};
const server = spawn(process.execPath, ['--cpu-prof', `--cpu-prof-dir=${out}`, 'dist/main.js'], { cwd: root, env, stdio: 'inherit' });
for (let i = 0; i < 100; i++) {
  try { if ((await fetch(`${url}/health`)).ok) break; } catch { /* starting */ }
  await new Promise((r) => setTimeout(r, 200));
}
const tokens = [];
for (let i = 0; i < 100; i++) {
  const res = await fetch(`${url}/auth/register`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ email: `p${i}-${Date.now()}@x.io`, password: 'correct horse battery', displayName: `P${i}` }) });
  tokens.push((await res.json()).accessToken);
}
const r = await fanout({ url, tokens, rooms: 10, workers: 2, sendersPerWorker: 50, inFlight: 2, durationMs: 6000 });
console.log(`${r.sendsPerSec.toFixed(0)} sends/s, ${r.deliveredPerSec.toFixed(0)} delivered/s`);
server.kill('SIGINT');
await once(server, 'exit');
const file = readdirSync(out).filter((f) => f.endsWith('.cpuprofile')).sort().at(-1);
const profile = JSON.parse(readFileSync(join(out, file), 'utf8'));
const self = new Map();
const dt = profile.timeDeltas;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
profile.samples.forEach((id, i) => {
  const n = byId.get(id);
  const key = `${n.callFrame.functionName || '(anon)'} ${n.callFrame.url.replace(/.*node_modules\//, '').replace(root, '')}:${n.callFrame.lineNumber}`;
  self.set(key, (self.get(key) ?? 0) + (dt[i] ?? 0));
});
const total = [...self.values()].reduce((a, b) => a + b, 0);
for (const [k, v] of [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log(`${((v / total) * 100).toFixed(1).padStart(5)}%  ${k}`);
