import { generateKeyPairSync } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { AppConfig, loadAppConfig } from '../config/app-config';
import { AppError } from '../common/errors';
import { LocalKeys } from '../identity/local-keys';
import { TokenService } from './token.service';

const A1 = 'a'.repeat(40);
const A2 = 'A'.repeat(40);
const R1 = 'r'.repeat(40);
const R2 = 'R'.repeat(40);
const service = (config: AppConfig) => new TokenService(config, new LocalKeys(config));
const config = loadAppConfig({ JWT_ACCESS_SECRET: A1, JWT_REFRESH_SECRET: R1, JWT_ACCESS_TTL: '60s' });
const tokens = service(config);
const subject = { userId: 'u1', sid: 's1', role: 'user' as const, displayName: 'Ada', emailVerified: false };
const errorCode = (fn: () => unknown) => {
  try {
    fn();
    return 'OK';
  } catch (error) {
    return (error as AppError).code;
  }
};
const header = (token: string) => JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString()) as Record<string, unknown>;

/** Key files as loadAppConfig would read them, without touching the disk. */
function asymmetricConfig(algorithm: 'ES256' | 'EdDSA', previous?: string) {
  const pair = algorithm === 'ES256' ? generateKeyPairSync('ec', { namedCurve: 'P-256' }) : generateKeyPairSync('ed25519');
  const files: Record<string, string> = { '/k/current.pem': pair.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString() };
  if (previous) files['/k/previous.pem'] = previous;
  const env = {
    JWT_REFRESH_SECRET: R1,
    JWT_ALGORITHM: algorithm,
    JWT_SIGNING_KEY_FILE: '/k/current.pem',
    JWT_SIGNING_KEY_PREVIOUS_FILE: previous ? '/k/previous.pem' : undefined,
  };
  return { config: loadAppConfig(env, (path) => files[path]), publicPem: pair.publicKey.export({ format: 'pem', type: 'spki' }).toString() };
}

describe('TokenService', () => {
  it('round-trips an access token with its claims', () => {
    const issued = tokens.signAccess(subject);
    const claims = tokens.verifyAccess(issued.token);
    expect(claims).toMatchObject({ sub: 'u1', sid: 's1', role: 'user', name: 'Ada', ev: false, typ: 'access', iss: 'parley', aud: 'parley-clients' });
    expect(claims.exp * 1000).toBe(issued.expiresAt);
    expect(typeof claims.jti).toBe('string');
  });

  it('keeps the two kinds apart', () => {
    const refresh = tokens.signRefresh('u1', 's1');
    expect(errorCode(() => tokens.verifyAccess(refresh.token))).toBe('TOKEN_INVALID');
    expect(errorCode(() => tokens.verifyRefresh(tokens.signAccess(subject).token))).toBe('TOKEN_INVALID');
    const claims = tokens.verifyRefresh(refresh.token);
    expect(claims).toMatchObject({ sub: 'u1', sid: 's1', typ: 'refresh' });
    expect(Buffer.from(claims.sec, 'base64url')).toHaveLength(32);
    expect(refresh.secretHash).toMatch(/^[0-9a-f]{64}$/);
    expect(tokens.signRefresh('u1', 's1').token).not.toBe(refresh.token);
  });

  it('pins HS256 and reports expiry separately', () => {
    const claims = jwt.decode(tokens.signAccess(subject).token) as jwt.JwtPayload;
    expect(errorCode(() => tokens.verifyAccess(jwt.sign(claims, A1, { algorithm: 'HS384' })))).toBe('TOKEN_INVALID');
    const expired = jwt.sign({ ...claims, exp: Math.floor(Date.now() / 1000) - 1 }, A1);
    expect(errorCode(() => tokens.verifyAccess(expired))).toBe('TOKEN_EXPIRED');
    const notYet = jwt.sign({ ...claims, nbf: Math.floor(Date.now() / 1000) + 60 }, A1);
    expect(errorCode(() => tokens.verifyAccess(notYet))).toBe('TOKEN_INVALID');
  });

  it('names the key in a kid: the same for every token of one key, never the key itself', () => {
    const kids = [tokens.signAccess(subject).token, tokens.signAccess({ ...subject, userId: 'u2' }).token].map((t) => header(t).kid);
    expect(kids[0]).toMatch(/^hs-[\w-]{16}$/);
    expect(kids[1]).toBe(kids[0]);
    const refreshKid = header(tokens.signRefresh('u1', 's1').token).kid;
    expect(refreshKid).not.toBe(kids[0]);
    for (const kid of [kids[0], refreshKid]) {
      expect(String(kid)).not.toContain('aaaa');
      expect(String(kid)).not.toContain('rrrr');
    }
    expect(header(tokens.signAccess(subject).token)).toEqual({ alg: 'HS256', typ: 'JWT', kid: kids[0] });
  });

  it('after a rotation, verifies the previous secret’s tokens and signs with the current one', () => {
    const before = tokens.signAccess(subject).token;
    const refreshBefore = tokens.signRefresh('u1', 's1').token;
    const rotated = service(
      loadAppConfig({ JWT_ACCESS_SECRET: A2, JWT_ACCESS_SECRET_PREVIOUS: A1, JWT_REFRESH_SECRET: R2, JWT_REFRESH_SECRET_PREVIOUS: R1 }),
    );
    expect(rotated.verifyAccess(before).sub).toBe('u1');
    expect(rotated.verifyRefresh(refreshBefore).sid).toBe('s1');
    const after = rotated.signAccess(subject).token;
    expect(header(after).kid).not.toBe(header(before).kid);
    // the old configuration does not know the new key: its kid is unknown there
    expect(errorCode(() => tokens.verifyAccess(after))).toBe('TOKEN_INVALID');
    // once the previous secret is retired, its tokens are refused
    const retired = service(loadAppConfig({ JWT_ACCESS_SECRET: A2, JWT_REFRESH_SECRET: R2 }));
    expect(errorCode(() => retired.verifyAccess(before))).toBe('TOKEN_INVALID');
    expect(errorCode(() => retired.verifyRefresh(refreshBefore))).toBe('TOKEN_INVALID');
    expect(retired.verifyAccess(after).sub).toBe('u1');
  });

  it('picks the key by kid only: an unknown kid is refused even when a known key would verify', () => {
    const claims = jwt.decode(tokens.signAccess(subject).token) as jwt.JwtPayload;
    expect(errorCode(() => tokens.verifyAccess(jwt.sign(claims, A1, { keyid: 'hs-unknownkid00000' })))).toBe('TOKEN_INVALID');
    // a token from before kids existed is checked against the current secret only
    expect(tokens.verifyAccess(jwt.sign(claims, A1)).sub).toBe('u1');
    const rotated = service(loadAppConfig({ JWT_ACCESS_SECRET: A2, JWT_ACCESS_SECRET_PREVIOUS: A1, JWT_REFRESH_SECRET: R2 }));
    expect(errorCode(() => rotated.verifyAccess(jwt.sign(claims, A1)))).toBe('TOKEN_INVALID');
  });

  it.each(['ES256', 'EdDSA'] as const)('signs access tokens with %s and keeps refresh tokens on HS256', (algorithm) => {
    const { config: asymmetric, publicPem } = asymmetricConfig(algorithm);
    const signer = service(asymmetric);
    const token = signer.signAccess(subject).token;
    expect(header(token)).toMatchObject({ alg: algorithm, typ: 'JWT' });
    expect(signer.verifyAccess(token).sub).toBe('u1');
    expect(header(signer.signRefresh('u1', 's1').token).alg).toBe('HS256');
    // HS256 with the public key as the secret (the classic confusion) is refused
    const claims = jwt.decode(token) as jwt.JwtPayload;
    const confused = jwt.sign(claims, publicPem, {
      algorithm: 'HS256',
      keyid: String(header(token).kid),
      allowInsecureKeySizes: true,
    } as jwt.SignOptions);
    expect(errorCode(() => signer.verifyAccess(confused))).toBe('TOKEN_INVALID');
    // the next key verifies the old one's tokens when it is given as previous (public PEM)
    const next = service(asymmetricConfig(algorithm, publicPem).config);
    expect(next.verifyAccess(token).sub).toBe('u1');
    expect(errorCode(() => service(asymmetricConfig(algorithm).config).verifyAccess(token))).toBe('TOKEN_INVALID');
  });

  it('refuses malformed tokens and key-pointing headers', () => {
    const claims = jwt.decode(tokens.signAccess(subject).token) as jwt.JwtPayload;
    for (const extra of [
      { jku: 'http://127.0.0.1:1/jwks' },
      { x5u: 'http://127.0.0.1:1/cert' },
      { jwk: { kty: 'oct', k: 'AA' } },
      { crit: ['exp'] },
    ]) {
      expect(errorCode(() => tokens.verifyAccess(jwt.sign(claims, A1, { header: { alg: 'HS256', ...extra } as jwt.JwtHeader })))).toBe(
        'TOKEN_INVALID',
      );
    }
    for (const garbage of ['', 'a.b', 'a.b.c', '###.###.###', `${Buffer.from('[]').toString('base64url')}.e30.`]) {
      expect(errorCode(() => tokens.verifyAccess(garbage))).toBe('TOKEN_INVALID');
    }
  });
});
