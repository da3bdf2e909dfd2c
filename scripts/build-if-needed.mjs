#!/usr/bin/env node
// `npm start` on a fresh clone: build once, then only when a source file is newer than the build.
import { execSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const outputs = [join(root, 'dist/main.js'), join(root, 'client-demo/dist/index.html')];

function newest(dir) {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name === 'dist') continue;
    const path = join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
  }
  return latest;
}

const builtAt = Math.min(...outputs.map((file) => (existsSync(file) ? statSync(file).mtimeMs : 0)));
const sourcesAt = Math.max(newest(join(root, 'src')), newest(join(root, 'client-demo')));
if (builtAt === 0 || sourcesAt > builtAt) {
  console.log('Building Parley (sources changed since the last build)…');
  execSync('npm run build --silent', { cwd: root, stdio: 'inherit' });
}
