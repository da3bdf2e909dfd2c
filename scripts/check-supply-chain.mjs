#!/usr/bin/env node
// Offline supply-chain check: `npm audit` cannot reach its service here, so we read the
// lockfile and hold every installed copy of the security-critical packages to a minimum
// version, and every package to the npm registry with an integrity hash.
import { readFileSync } from 'node:fs';

const root = new URL('..', import.meta.url);
const lock = JSON.parse(readFileSync(new URL('package-lock.json', root), 'utf8'));
const minimums = JSON.parse(readFileSync(new URL('scripts/security-minimums.json', root), 'utf8'));

const parse = (v) => v.split(/[-+]/)[0].split('.').map(Number);
export function compare(a, b) {
  const [x, y] = [parse(a), parse(b)];
  for (let i = 0; i < 3; i++) if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) - (y[i] ?? 0);
  return 0;
}

const findings = [];
const checked = [];
for (const [path, entry] of Object.entries(lock.packages ?? {})) {
  if (!path) continue;
  const name = entry.name ?? path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length);
  if (entry.link) continue;
  if (entry.resolved && !entry.resolved.startsWith('https://registry.npmjs.org/')) {
    findings.push(`${path}: resolved outside the npm registry (${entry.resolved})`);
  }
  if (entry.version && !entry.integrity && !entry.inBundle) findings.push(`${path}: no integrity hash`);
  const rule = minimums[name];
  if (!rule || !entry.version) continue;
  const major = parse(entry.version)[0];
  const min = rule.lines?.[String(major)] ?? rule.min;
  const ok = compare(entry.version, min) >= 0;
  checked.push({ name, version: entry.version, min, ok });
  if (!ok) findings.push(`${path}: ${name}@${entry.version} is below ${min} (${rule.why})`);
}

for (const required of ['socket.io', 'engine.io', 'socket.io-parser', 'ws', 'jsonwebtoken']) {
  if (!checked.some((c) => c.name === required)) findings.push(`${required}: not found in package-lock.json`);
}

console.log('package            installed   minimum   ok');
for (const c of checked.sort((a, b) => a.name.localeCompare(b.name))) {
  console.log(`${c.name.padEnd(18)} ${c.version.padEnd(11)} ${c.min.padEnd(9)} ${c.ok ? 'yes' : 'NO'}`);
}
if (findings.length > 0) {
  console.error(`\n${findings.length} finding(s):\n${findings.map((f) => `  - ${f}`).join('\n')}`);
  process.exit(1);
}
console.log(`\nSupply chain OK: ${checked.length} security-critical copies checked, every package from the npm registry.`);
