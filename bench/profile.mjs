// Profiles Parley under the fan-out load (or, with --handshakes, under 3,000 handshakes):
// node --cpu-prof, then where the time went, per operation.
// node bench/profile.mjs [--shape 10x10/all] [--handshakes]  (SQLite; PROFILE_DATABASE_URL=mysql://… for another database; writes bench/out/*.cpuprofile)
// The server runs on the bench's core budget (BENCH_SERVER_CORES, every thread pinned), the load on the other cores.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fanout, parseShape } from './load/fanout.mjs';
import { handshakes } from './load/handshakes.mjs';
import { commandLine, coreBudget, flag, mintAccessToken, parleyEnv, pinSelf, registerUsers, root, startServer } from './lib.mjs';

commandLine(import.meta.url, ['handshakes', 'shape']);
const shape = parseShape(String(flag('shape', '10x10/all')));

const out = join(root, 'bench', 'out');
mkdirSync(out, { recursive: true });
const port = 3210;
const url = `http://127.0.0.1:${port}`;
const databaseUrl = process.env.PROFILE_DATABASE_URL ?? `sqlite:${join(mkdtempSync(join(tmpdir(), 'prof-')), 'app.sqlite')}`;
const budget = coreBudget();
pinSelf(budget.clients);
console.log(`cores: ${budget.note}`);
const server = await startServer('dist/main.js', parleyEnv({ port, databaseUrl, bcryptCost: 4 }), {
  port,
  cores: budget.server,
  nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${out}`],
});
// a few registered users, every socket a token of its own (distinct session ids), as bench/run.mjs
const users = (await registerUsers(url, 20, 'profile')).map((u) => ({ id: u.user.id, displayName: u.user.displayName }));
const sockets = Math.max(3000, shape.rooms * shape.members);
const tokens = Array.from({ length: sockets }, (_, k) => mintAccessToken(users[k % users.length], `profile-${k}`));
// V8's profile timestamps and hrtime both read CLOCK_MONOTONIC (µs): keep the samples taken under load.
const loadStart = Number(process.hrtime.bigint() / 1000n);
let operations;
let unit;
if (process.argv.includes('--handshakes')) {
  const h = await handshakes({ url, tokens: Array.from({ length: 3000 }, (_, i) => tokens[i % tokens.length]) });
  console.log(`${h.perSec.toFixed(0)} handshakes/s, ${h.failures} failed`);
  operations = 3000;
  unit = 'handshake';
} else {
  const r = await fanout({
    url,
    tokens,
    rooms: shape.rooms,
    members: shape.members,
    senders: shape.senders,
    workers: budget.clientCount,
    inFlight: 2,
    durationMs: 6000,
  });
  console.log(`${shape.label}: ${r.sendsPerSec.toFixed(0)} sends/s, ${r.deliveredPerSec.toFixed(0)} delivered/s`);
  operations = r.acked;
  unit = 'send';
}
const loadEnd = Number(process.hrtime.bigint() / 1000n);
// SIGINT: the process exits normally, so V8 writes the profile
server.child.kill('SIGINT');
await once(server.child, 'exit');
// CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile: thread 0 is the event loop; others are workers.
const files = readdirSync(out).filter((f) => f.startsWith('CPU.') && f.split('.')[3] === String(server.child.pid));
const label = (url) => (url.includes('node_modules/') ? url.replace(/.*node_modules\//, '') : url.replace(/.*\/dist\//, 'parley '));
/** Package (or file of ours, or node: module) a frame belongs to. */
const owner = (url) => {
  if (url.includes('node_modules/'))
    return label(url)
      .split('/')
      .slice(0, label(url).startsWith('@') ? 2 : 1)
      .join('/');
  if (url.includes('/dist/')) return label(url);
  return url.startsWith('node:') ? url : null;
};

/** Self and inclusive time of the samples taken under load, per operation (µs) and per cent of the window. */
function report(file, rows) {
  const profile = JSON.parse(readFileSync(join(out, file), 'utf8'));
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map();
  const inclusive = new Map();
  const add = (map, key, us) => map.set(key, (map.get(key) ?? 0) + us);
  let at = profile.startTime;
  profile.samples.forEach((id, i) => {
    at += profile.timeDeltas[i] ?? 0;
    const us = profile.timeDeltas[i + 1] ?? 0;
    if (at < loadStart || at > loadEnd) return;
    const frame = byId.get(id).callFrame;
    add(self, `${frame.functionName || '(anon)'} ${label(frame.url)}:${frame.lineNumber}`, us);
    const seen = new Set();
    for (let node = id; node !== undefined; node = parent.get(node)) seen.add(owner(byId.get(node).callFrame.url));
    seen.delete(null);
    for (const o of seen) add(inclusive, o, us);
  });
  const window = loadEnd - loadStart;
  const line = ([key, us]) => `${((us / window) * 100).toFixed(1).padStart(5)}% ${(us / operations).toFixed(1).padStart(6)} µs/${unit}  ${key}`;
  const top = (map) => [...map.entries()].sort((a, b) => b[1] - a[1]).slice(0, rows);
  console.log(`\n${file} — self time:`);
  for (const entry of top(self)) console.log(line(entry));
  console.log(`${file} — inclusive time by package or file:`);
  for (const entry of top(inclusive)) console.log(line(entry));
}
for (const file of files.sort((a, b) => Number(a.split('.')[4]) - Number(b.split('.')[4]))) report(file, file.split('.')[4] === '0' ? 30 : 8);
