#!/usr/bin/env node
// `npm install` (its prepare script) and the benchmarks: build when the build is missing or
// older than the sources. Skipped where the build tools are not installed (`npm ci
// --omit=dev`, the image's runtime stage): there the build comes from elsewhere.
import { execSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { buildState } from './build-state.mjs';

const root = new URL('..', import.meta.url).pathname;
if (!existsSync(join(root, 'node_modules/@nestjs/cli'))) {
  console.log('Parley: build tools not installed (production dependencies only); not building.');
} else {
  const state = buildState(root);
  if (state !== 'current') {
    console.log(state === 'missing' ? 'Building Parley…' : 'Building Parley (sources changed since the last build)…');
    try {
      execSync('npm run build --silent', { cwd: root, stdio: 'inherit' });
    } catch (error) {
      // A broken build must not fail `npm install` (the packages are in place; npm start
      // refuses until `npm run build` succeeds). Elsewhere (benchmarks) it stops.
      if (process.env.npm_lifecycle_event !== 'prepare') throw error;
      console.error('Parley: the build failed (above); npm install is done. Fix it and run `npm run build`.');
    }
  }
}
