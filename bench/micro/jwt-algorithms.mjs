// node bench/micro/jwt-algorithms.mjs [--quick]
// µs per access-token verification (signature, algorithm, issuer, audience, expiry) for HS256,
// RS256 (2048-bit), ES256 and EdDSA (Ed25519), with jsonwebtoken (synchronous; it has no EdDSA)
// and with jose (asynchronous: each verification awaited, as a handshake would) given a
// WebCrypto CryptoKey (what jose verifies with) and given a KeyObject (which jose converts on
// every call); every key made once. Parley-shaped claims. Run alone: the figure is one core's.
// Prints a table; writes bench/out/micro-jwt-<stamp>.{md,json}.
import { createSecretKey, generateKeyPairSync, randomBytes, webcrypto } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { SignJWT, jwtVerify } from 'jose';
import { flag, machine, summarize, writeReport } from '../lib.mjs';
import { commandLine } from '../lib.mjs';

commandLine(import.meta.url, ['quick']);

const quick = flag('quick', false) === true;
const BATCHES = quick ? 20 : 200;
const PER_BATCH = quick ? 50 : 200;
const claims = {
  sub: '01J0000000000000000000000',
  sid: '01J0000000000000000000001',
  role: 'user',
  name: 'Bench',
  ev: true,
  typ: 'access',
  jti: '01J0000000000000000000002',
};
const options = { issuer: 'parley', audience: 'parley-clients' };

const secret = randomBytes(48);
const keys = {
  HS256: (() => {
    const k = createSecretKey(secret);
    return { sign: k, verify: k };
  })(),
  RS256: (() => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    return { sign: privateKey, verify: publicKey };
  })(),
  ES256: (() => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    return { sign: privateKey, verify: publicKey };
  })(),
  EdDSA: (() => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    return { sign: privateKey, verify: publicKey };
  })(),
};

const webCryptoParams = {
  HS256: { name: 'HMAC', hash: 'SHA-256' },
  RS256: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
  ES256: { name: 'ECDSA', namedCurve: 'P-256' },
  EdDSA: { name: 'Ed25519' },
};
const cryptoKey = (alg, keyObject) =>
  alg === 'HS256'
    ? webcrypto.subtle.importKey('raw', secret, webCryptoParams[alg], false, ['verify'])
    : webcrypto.subtle.importKey('spki', keyObject.export({ type: 'spki', format: 'der' }), webCryptoParams[alg], false, ['verify']);

/** Per-operation µs over batches (p50/p99 of the batch means), after a warm-up. */
async function measure(fn) {
  for (let i = 0; i < PER_BATCH * 5; i++) await fn();
  const perOp = [];
  for (let b = 0; b < BATCHES; b++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < PER_BATCH; i++) await fn();
    perOp.push(Number(process.hrtime.bigint() - start) / 1000 / PER_BATCH);
  }
  return summarize(perOp);
}
const measureSync = (fn) =>
  measure(() => {
    fn();
  });

const rows = [];
for (const [alg, key] of Object.entries(keys)) {
  const token = await new SignJWT(claims)
    .setProtectedHeader({ alg, kid: 'k1' })
    .setIssuedAt()
    .setIssuer(options.issuer)
    .setAudience(options.audience)
    .setExpirationTime('1h')
    .sign(key.sign);
  let jsonwebtoken = null;
  if (alg !== 'EdDSA') {
    jwt.verify(token, key.verify, { ...options, algorithms: [alg] }); // throws if the token were not accepted
    jsonwebtoken = await measureSync(() => jwt.verify(token, key.verify, { ...options, algorithms: [alg] }));
  }
  const webKey = await cryptoKey(alg, key.verify);
  await jwtVerify(token, webKey, { ...options, algorithms: [alg] });
  const jose = await measure(() => jwtVerify(token, webKey, { ...options, algorithms: [alg] }));
  const joseKeyObject = await measure(() => jwtVerify(token, key.verify, { ...options, algorithms: [alg] }));
  rows.push({ alg, tokenBytes: token.length, jsonwebtoken, jose, joseKeyObject });
  console.log(
    `${alg}: jsonwebtoken ${jsonwebtoken ? `${jsonwebtoken.p50.toFixed(2)} µs` : 'n/a'}, jose ${jose.p50.toFixed(2)} µs with a CryptoKey, ${joseKeyObject.p50.toFixed(2)} µs with a KeyObject (p50 per verify)`,
  );
}
const hs = rows.find((r) => r.alg === 'HS256');
const m = machine();
const f = (s) => (s ? `${s.p50.toFixed(2)} / ${s.p99.toFixed(2)}` : 'n/a (not supported)');
const x = (s, base) => (s && base ? `${(s.p50 / base.p50).toFixed(1)}×` : '–');
const markdown = [
  `## ${m.date.slice(0, 10)} — token verification by algorithm (\`node bench/micro/jwt-algorithms.mjs\`)`,
  '',
  `Machine: ${m.cpu}, Node ${m.node}; commit ${m.commit}; load average at start ${m.load}. ${BATCHES} batches of ${PER_BATCH} verifications each; µs per verification, p50 / p99 of the batch means; KeyObjects made once.`,
  '',
  '| algorithm | token bytes | jsonwebtoken µs | ÷ HS256 | jose µs (awaited, CryptoKey) | ÷ HS256 | jose µs (KeyObject) |',
  '|---|---|---|---|---|---|---|',
  ...rows.map(
    (r) =>
      `| ${r.alg} | ${r.tokenBytes} | ${f(r.jsonwebtoken)} | ${x(r.jsonwebtoken, hs.jsonwebtoken)} | ${f(r.jose)} | ${x(r.jose, hs.jose)} | ${f(r.joseKeyObject)} |`,
  ),
].join('\n');
const files = writeReport('micro-jwt', markdown, { machine: m, batches: BATCHES, perBatch: PER_BATCH, rows });
console.log(`\n${markdown}\n\nwritten: ${files.md}, ${files.json}`);
