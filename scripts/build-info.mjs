#!/usr/bin/env node
// Records the commit a build was made from (dist/build-info.json → parley_build_info{commit}).
// BUILD_COMMIT when set (the image's build argument: its build context has no .git), else git.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
let commit = process.env.BUILD_COMMIT || undefined;
if (!commit) {
  try {
    commit = execFileSync('git', ['rev-parse', '--short=12', 'HEAD'], { cwd: root, stdio: ['ignore', 'pipe', 'ignore'] })
      .toString()
      .trim();
  } catch {
    // not a git checkout, or no git: the gauge goes without a commit label
  }
}
writeFileSync(join(root, 'dist/build-info.json'), `${JSON.stringify(commit ? { commit } : {})}\n`);
