#!/usr/bin/env node
// The SDK's size in a browser bundle: minified, and minified + gzip (level 9), with and without socket.io-client.
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { build } from 'esbuild';

const entry = join(new URL('.', import.meta.url).pathname, 'src/index.ts');
for (const [label, external] of [
  ['@parley/client + socket.io-client', []],
  ['@parley/client alone', ['socket.io-client']],
]) {
  const { outputFiles } = await build({
    entryPoints: [entry],
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2020',
    write: false,
    external,
  });
  const code = outputFiles[0].contents;
  console.log(`${label}: ${code.length} bytes minified, ${gzipSync(code, { level: 9 }).length} bytes minified + gzip`);
}
