// Whether dist/ (and the SDK's and the demo client's bundles) is missing, older than the sources, or current.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function newest(dir) {
  if (!existsSync(dir)) return 0;
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name === 'dist') continue;
    const path = join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
  }
  return latest;
}

/** @returns {'missing' | 'stale' | 'current'} */
export function buildState(root) {
  const outputs = [join(root, 'dist/main.js'), join(root, 'client-demo/dist/index.html'), join(root, 'packages/client/dist/index.js')];
  if (!outputs.every((file) => existsSync(file))) return 'missing';
  const builtAt = Math.min(...outputs.map((file) => statSync(file).mtimeMs));
  const sourcesAt = Math.max(newest(join(root, 'src')), newest(join(root, 'client-demo')), newest(join(root, 'packages/client/src')));
  return sourcesAt > builtAt ? 'stale' : 'current';
}
