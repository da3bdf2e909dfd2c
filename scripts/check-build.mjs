#!/usr/bin/env node
// `npm start` (and `npm run cli`) never build: they refuse, saying what to run, when there is
// no build, or, in development, when the sources are newer than it. In production only a
// missing build stops them (a deployed tree's timestamps say nothing; the image has no src/).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildState } from './build-state.mjs';

const root = new URL('..', import.meta.url).pathname;

/** NODE_ENV as Parley will see it: the environment wins over .env. */
function nodeEnv() {
  if (process.env.NODE_ENV) return process.env.NODE_ENV;
  const file = join(root, '.env');
  if (!existsSync(file)) return 'development';
  const line = /^\s*NODE_ENV\s*=\s*["']?([\w-]+)/m.exec(readFileSync(file, 'utf8'));
  return line ? line[1] : 'development';
}

if (!existsSync(join(root, 'dist/main.js'))) {
  console.error('Parley is not built (dist/main.js is missing). Run `npm run build` first; npm start never builds.');
  process.exit(1);
}
if (nodeEnv() !== 'production' && buildState(root) === 'stale') {
  console.error('The sources changed since the last build. Run `npm run build` (or `npm run start:dev` to rebuild on every change).');
  process.exit(1);
}
