#!/usr/bin/env node
// Bundles the demo client (client-demo/src → client-demo/dist), which the server serves at `/`.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const out = join(root, 'client-demo/dist');
mkdirSync(out, { recursive: true });
await build({
  entryPoints: [join(root, 'client-demo/src/main.ts')],
  bundle: true,
  minify: true,
  sourcemap: true,
  target: 'es2020',
  platform: 'browser',
  // @parley/client from its sources (no separate build of the SDK needed first)
  alias: { '@parley/client': join(root, 'packages/client/src/index.ts') },
  outfile: join(out, 'app.js'),
  logLevel: 'warning',
});
copyFileSync(join(root, 'client-demo/index.html'), join(out, 'index.html'));
copyFileSync(join(root, 'client-demo/styles.css'), join(out, 'styles.css'));
copyFileSync(join(root, 'node_modules/uplot/dist/uPlot.min.css'), join(out, 'uPlot.min.css'));
