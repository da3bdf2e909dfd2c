import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import request from 'supertest';
import { createApp } from '../src/app.factory';
import { closeAllSockets, connect, emitAck, register } from './support/clients';
import { DATABASES, startApp, testEnv, TestApp } from './support/app';
import { decodeParts } from './support/oidc';

type VerifyResult = { ok: true; alg: string; kid: string; sub: string } | { ok: false; code: string };

/** Verifies tokens with `jose` in a process of its own, as a service other than Parley would. */
async function joseVerify(t: TestApp, tokens: string[]): Promise<VerifyResult[]> {
  const input = { jwksUrl: `${t.url}/.well-known/jwks.json`, issuer: 'parley', audience: 'parley-clients', tokens };
  const { stdout } = await promisify(execFile)(process.execPath, [join(__dirname, 'fixtures', 'jose-verify.mjs'), JSON.stringify(input)]);
  return JSON.parse(stdout) as VerifyResult[];
}

const keyDir = mkdtempSync(join(tmpdir(), 'parley-keys-'));
function keyFiles(name: string, algorithm: 'ES256' | 'EdDSA'): { privateFile: string; publicFile: string } {
  const pair = algorithm === 'ES256' ? generateKeyPairSync('ec', { namedCurve: 'P-256' }) : generateKeyPairSync('ed25519');
  const privateFile = join(keyDir, `${name}.pem`);
  const publicFile = join(keyDir, `${name}.pub.pem`);
  writeFileSync(privateFile, pair.privateKey.export({ format: 'pem', type: 'pkcs8' }));
  writeFileSync(publicFile, pair.publicKey.export({ format: 'pem', type: 'spki' }));
  return { privateFile, publicFile };
}

describe('GET /.well-known/jwks.json under HS256', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp(testEnv(await DATABASES[0].url()));
  });
  afterAll(() => t.close());

  it('is public, lists no key, and is in the OpenAPI document', async () => {
    await request(t.url).get('/.well-known/jwks.json').expect(200, { keys: [] });
    const doc = (await request(t.url).get('/docs/json').expect(200)).body;
    expect(doc.paths['/.well-known/jwks.json'].get.security).toEqual([]);
  });

  it('puts a kid on every token, the same for every token of one key', async () => {
    const a = await register(t.url);
    const b = await register(t.url);
    const access = [a.accessToken, b.accessToken].map((token) => decodeParts(token).header);
    const refresh = [a.refreshToken, b.refreshToken].map((token) => decodeParts(token).header);
    expect(access[0]).toEqual({ alg: 'HS256', typ: 'JWT', kid: expect.stringMatching(/^hs-/) });
    expect(access[1].kid).toBe(access[0].kid);
    expect(refresh[1].kid).toBe(refresh[0].kid);
    expect(refresh[0].kid).not.toBe(access[0].kid);
    for (const header of [...access, ...refresh]) expect(JSON.stringify(header)).not.toContain('test-access-secret');
  });
});

describe.each(['ES256', 'EdDSA'] as const)('%s access tokens', (algorithm) => {
  const first = keyFiles(`${algorithm}-first`, algorithm);
  const second = keyFiles(`${algorithm}-second`, algorithm);
  let databaseUrl: string;
  let t: TestApp;
  const env = (overrides: Record<string, string>) => testEnv(databaseUrl, { JWT_ACCESS_SECRET: undefined, JWT_ALGORITHM: algorithm, ...overrides });
  beforeAll(async () => {
    databaseUrl = await DATABASES[0].url();
    t = await startApp(env({ JWT_SIGNING_KEY_FILE: first.privateFile }));
  });
  afterAll(async () => {
    closeAllSockets();
    await t.close();
  });

  it('publishes the public key and signs with it; another service verifies the tokens with jose', async () => {
    const jwks = (await request(t.url).get('/.well-known/jwks.json').expect(200)).body as { keys: Array<Record<string, unknown>> };
    expect(jwks.keys).toHaveLength(1);
    expect(jwks.keys[0]).toMatchObject({ kid: expect.any(String), alg: algorithm, use: 'sig', kty: algorithm === 'ES256' ? 'EC' : 'OKP' });
    expect(jwks.keys[0]).not.toHaveProperty('d');
    const a = await register(t.url);
    expect(decodeParts(a.accessToken).header).toEqual({ alg: algorithm, typ: 'JWT', kid: jwks.keys[0].kid });
    expect(decodeParts(a.refreshToken).header.alg).toBe('HS256');
    await request(t.url).get('/auth/me').set('Authorization', `Bearer ${a.accessToken}`).expect(200);
    const [verified, refreshAsAccess] = await joseVerify(t, [a.accessToken, a.refreshToken]);
    expect(verified).toEqual({ ok: true, alg: algorithm, kid: jwks.keys[0].kid, sub: a.user.id });
    expect(refreshAsAccess.ok).toBe(false);
  });

  it('rotates the signing key: old tokens, sessions and sockets keep working; jose verifies both', async () => {
    const a = await register(t.url);
    const oldKid = decodeParts(a.accessToken).header.kid;
    await t.close();
    t = await startApp(env({ JWT_SIGNING_KEY_FILE: second.privateFile, JWT_SIGNING_KEY_PREVIOUS_FILE: first.publicFile }));
    const jwks = (await request(t.url).get('/.well-known/jwks.json').expect(200)).body as { keys: Array<{ kid: string }> };
    expect(jwks.keys.map((k) => k.kid)).toHaveLength(2);
    expect(jwks.keys.map((k) => k.kid)).toContain(oldKid);
    await request(t.url).get('/auth/me').set('Authorization', `Bearer ${a.accessToken}`).expect(200);
    const socket = await connect(t.url, '/chat', { token: a.accessToken });
    const rotated = (await request(t.url).post('/auth/refresh').send({ refreshToken: a.refreshToken }).expect(200)).body;
    expect(decodeParts(rotated.accessToken).header.kid).not.toBe(oldKid);
    expect(await emitAck(socket, 'auth:refresh', { token: rotated.accessToken })).toMatchObject({ ok: true });
    const results = await joseVerify(t, [a.accessToken, rotated.accessToken]);
    expect(results.map((r) => r.ok)).toEqual([true, true]);
    // with the previous key retired, its tokens are refused
    await t.close();
    t = await startApp(env({ JWT_SIGNING_KEY_FILE: second.privateFile }));
    const res = await request(t.url).get('/auth/me').set('Authorization', `Bearer ${a.accessToken}`).expect(401);
    expect(res.body.message).toBe('Invalid access token');
    await request(t.url).get('/auth/me').set('Authorization', `Bearer ${rotated.accessToken}`).expect(200);
  });
});

describe('a key misconfiguration', () => {
  it.each([
    [{ JWT_ALGORITHM: 'ES256', JWT_SIGNING_KEY_FILE: '/nonexistent/parley.pem' }, /JWT_SIGNING_KEY_FILE: cannot read \/nonexistent\/parley\.pem/],
    [
      { JWT_ALGORITHM: 'EdDSA', JWT_SIGNING_KEY_FILE: keyFiles('mismatch', 'ES256').privateFile },
      /JWT_SIGNING_KEY_FILE: JWT_ALGORITHM=EdDSA needs an Ed25519 key/,
    ],
    [{ OIDC_ISSUER: 'https://id.example.test' }, /OIDC_AUDIENCE: required with OIDC_ISSUER/],
  ])('stops the server at start, naming the variable (%j)', async (overrides, message) => {
    await expect(createApp({ env: testEnv(await DATABASES[0].url(), overrides) })).rejects.toThrow(message);
  });
});
