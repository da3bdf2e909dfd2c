// p50 cost of one access-token verification including the revocation check, as Parley does it
// (TokenService with a KeyObject + AccessAuthService's in-memory session check), next to the
// same verification with a string secret.
import { createRequire } from 'node:module';
import jwt from 'jsonwebtoken';
import { root, summarize } from '../lib.mjs';

const require = createRequire(import.meta.url);
const { loadAppConfig } = require(`${root}dist/config/app-config.js`);
const { TokenService, assertAccessClaims } = require(`${root}dist/auth/token.service.js`);
const { LocalKeys } = require(`${root}dist/identity/local-keys.js`);

const config = loadAppConfig({ JWT_ACCESS_SECRET: 'a'.repeat(48), JWT_REFRESH_SECRET: 'r'.repeat(48), LOG_LEVEL: 'silent' });
const tokens = new TokenService(config, new LocalKeys(config));
const stringSecretOptions = { algorithms: ['HS256'], issuer: config.jwt.issuer, audience: config.jwt.audience, clockTolerance: 0 };
const ended = new Map(Array.from({ length: 10_000 }, (_, i) => [`ended-${i}`, Date.now() + 60_000]));
// signed in run(): the module is imported at the start of `npm run bench`, and an access token
// minted then has expired by the time the sweep reaches the micro-benchmarks
let token = '';

function parleyVerify() {
  const claims = tokens.verifyAccess(token);
  if (ended.has(claims.sid)) throw new Error('ended');
}
function stringSecretVerify() {
  const claims = assertAccessClaims(jwt.verify(token, config.jwt.accessSecret, stringSecretOptions));
  if (ended.has(claims.sid)) throw new Error('ended');
}

function measure(fn, batches = 400, perBatch = 250) {
  for (let i = 0; i < 5000; i++) fn(); // warm up
  const perOpMicros = [];
  for (let b = 0; b < batches; b++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < perBatch; i++) fn();
    perOpMicros.push(Number(process.hrtime.bigint() - start) / 1000 / perBatch);
  }
  return summarize(perOpMicros);
}

export function run() {
  token = tokens.signAccess({ userId: 'u', sid: 'live-session', role: 'user', displayName: 'Bench', emailVerified: true }).token;
  const keyObject = measure(parleyVerify);
  const stringSecret = measure(stringSecretVerify, 40, 100);
  return { keyObject, stringSecret };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = run();
  console.log(`access-token verify + revocation check, KeyObject: p50 ${r.keyObject.p50.toFixed(2)} µs (p99 ${r.keyObject.p99.toFixed(2)} µs)`);
  console.log(`same with a string secret:                     p50 ${r.stringSecret.p50.toFixed(2)} µs`);
}
