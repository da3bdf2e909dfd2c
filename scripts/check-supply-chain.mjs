#!/usr/bin/env node
// Offline supply-chain check: `npm audit` cannot reach its service here, so we read the
// lockfile and hold every installed copy of the security-critical packages to a floor for
// its own major version (scripts/security-minimums.json), and every package to the npm
// registry with an integrity hash. A copy on a major without a floor is a finding too: a new
// major must be reviewed, not compared against an older line's floor.
// Usage: node scripts/check-supply-chain.mjs [--lock <package-lock.json>]
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = new URL('..', import.meta.url);

const parse = (v) => v.split(/[-+]/)[0].split('.').map(Number);
export function compare(a, b) {
  const [x, y] = [parse(a), parse(b)];
  for (let i = 0; i < 3; i++) if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) - (y[i] ?? 0);
  return 0;
}

/** Findings and the rows checked, for a parsed lockfile and the floors. */
export function check(lock, minimums) {
  const findings = [];
  const checked = [];
  for (const [path, entry] of Object.entries(lock.packages ?? {})) {
    if (!path) continue;
    const name = entry.name ?? path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length);
    // links and workspace packages (`packages/*`) are this repository's own code
    if (entry.link || !path.includes('node_modules/')) continue;
    if (entry.resolved && !entry.resolved.startsWith('https://registry.npmjs.org/')) {
      findings.push(`${path}: resolved outside the npm registry (${entry.resolved})`);
    }
    if (entry.version && !entry.integrity && !entry.inBundle) findings.push(`${path}: no integrity hash`);
    const rule = minimums[name];
    if (!rule || !entry.version) continue;
    const major = parse(entry.version)[0];
    const min = rule.lines[String(major)];
    if (min === undefined) {
      const majors = Object.keys(rule.lines).map(Number);
      findings.push(
        major < Math.min(...majors)
          ? `${path}: ${name}@${entry.version}: no fixed release on the ${major}.x line (${rule.why})`
          : `${path}: ${name}@${entry.version}: no floor for major ${major} in scripts/security-minimums.json; review its advisories and add one`,
      );
      checked.push({ name, version: entry.version, min: '-', ok: false });
      continue;
    }
    const ok = compare(entry.version, min) >= 0;
    checked.push({ name, version: entry.version, min, ok });
    if (!ok) findings.push(`${path}: ${name}@${entry.version} is below ${min} (${rule.why})`);
  }
  for (const required of ['socket.io', 'engine.io', 'socket.io-parser', 'ws', 'jsonwebtoken', 'jws', 'express', 'body-parser', 'qs']) {
    if (!checked.some((c) => c.name === required)) findings.push(`${required}: not found in the lockfile`);
  }
  return { findings, checked };
}

function main() {
  const at = process.argv.indexOf('--lock');
  const lockFile = at > 0 ? process.argv[at + 1] : fileURLToPath(new URL('package-lock.json', root));
  const lock = JSON.parse(readFileSync(lockFile, 'utf8'));
  const minimums = JSON.parse(readFileSync(new URL('scripts/security-minimums.json', root), 'utf8'));
  delete minimums.$comment;
  const { findings, checked } = check(lock, minimums);
  console.log('package            installed   minimum   ok');
  for (const c of checked.sort((a, b) => a.name.localeCompare(b.name))) {
    console.log(`${c.name.padEnd(18)} ${c.version.padEnd(11)} ${c.min.padEnd(9)} ${c.ok ? 'yes' : 'NO'}`);
  }
  if (findings.length > 0) {
    console.error(`\n${findings.length} finding(s):\n${findings.map((f) => `  - ${f}`).join('\n')}`);
    process.exit(1);
  }
  console.log(`\nSupply chain OK: ${checked.length} security-critical copies checked, every package from the npm registry.`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main();
