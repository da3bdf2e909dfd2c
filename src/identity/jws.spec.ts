import { constants, createHmac, createPublicKey, createSecretKey, generateKeyPairSync, KeyObject, sign } from 'node:crypto';
import { decodeJws, JwsAlgorithm, publicKeyKid, secretKid, signJws, verifyJwsSignature } from './jws';

const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** Signs like any JOSE library would, independently of signJws. */
function compact(alg: JwsAlgorithm, key: KeyObject, header: object = {}): string {
  const input = `${b64({ alg, kid: 'k', ...header })}.${b64({ sub: 'u' })}`;
  const data = Buffer.from(input);
  const signature = {
    HS256: () => createHmac('sha256', key).update(data).digest(),
    RS256: () => sign('sha256', data, key),
    PS256: () => sign('sha256', data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }),
    ES256: () => sign('sha256', data, { key, dsaEncoding: 'ieee-p1363' }),
    EdDSA: () => sign(null, data, key),
  }[alg]();
  return `${input}.${signature.toString('base64url')}`;
}

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const ed = generateKeyPairSync('ed25519');
const secret = createSecretKey(Buffer.from('s'.repeat(32)));
const pairs: Array<[JwsAlgorithm, KeyObject, KeyObject]> = [
  ['HS256', secret, secret],
  ['RS256', rsa.privateKey, rsa.publicKey],
  ['PS256', rsa.privateKey, rsa.publicKey],
  ['ES256', ec.privateKey, ec.publicKey],
  ['EdDSA', ed.privateKey, ed.publicKey],
];

describe('JWS', () => {
  it.each(pairs)('verifies %s signatures made elsewhere, and only with the pinned algorithm', (alg, privateKey, publicKey) => {
    const token = compact(alg, privateKey);
    expect(verifyJwsSignature(decodeJws(token), { kid: 'k', alg, key: publicKey })).toBe(true);
    const [header, , signature] = token.split('.');
    expect(verifyJwsSignature(decodeJws(`${header}.${b64({ sub: 'v' })}.${signature}`), { kid: 'k', alg, key: publicKey })).toBe(false);
    for (const [other] of pairs.filter(([a]) => a !== alg)) {
      expect(verifyJwsSignature(decodeJws(token), { kid: 'k', alg: other, key: publicKey })).toBe(false);
    }
  });

  it.each(['HS256', 'ES256', 'EdDSA'] as const)('signs %s tokens with a kid header', (alg) => {
    const [privateKey, publicKey] = { HS256: [secret, secret], ES256: [ec.privateKey, ec.publicKey], EdDSA: [ed.privateKey, ed.publicKey] }[alg];
    const token = signJws({ sub: 'u' }, { kid: 'the-kid', alg, key: privateKey });
    const jws = decodeJws(token);
    expect(jws.header).toEqual({ alg, typ: 'JWT', kid: 'the-kid' });
    expect(jws.payload).toEqual({ sub: 'u' });
    expect(verifyJwsSignature(jws, { kid: 'the-kid', alg, key: publicKey })).toBe(true);
  });

  it('refuses a signature of the wrong length and malformed input', () => {
    const token = compact('HS256', secret);
    expect(verifyJwsSignature(decodeJws(`${token.slice(0, token.lastIndexOf('.'))}.AAAA`), { kid: 'k', alg: 'HS256', key: secret })).toBe(false);
    for (const bad of [
      '',
      'a.b',
      'a.b.c.d',
      'a+b.c.d',
      `${b64({ kid: 'k' })}.${b64({})}.`,
      `${b64({ alg: 'HS256', kid: 7 })}.${b64({})}.`,
      `${b64({ alg: 'HS256' })}.${Buffer.from('[1]').toString('base64url')}.`,
    ]) {
      expect(() => decodeJws(bad)).toThrow();
    }
  });

  it.each(pairs)('answers false, never throws, for %s signatures of any length and for a key of another type', (alg, _, publicKey) => {
    for (const signature of ['', 'AA', 'A'.repeat(86), 'A'.repeat(700)]) {
      const jws = decodeJws(`${b64({ alg, kid: 'k' })}.${b64({})}.${signature}`);
      expect(verifyJwsSignature(jws, { kid: 'k', alg, key: publicKey })).toBe(false);
      expect(verifyJwsSignature(jws, { kid: 'k', alg, key: alg === 'HS256' ? ec.publicKey : secret })).toBe(false);
    }
  });

  it.each(['jku', 'x5u', 'jwk', 'crit'])('refuses a token with a %s header', (name) => {
    expect(() => decodeJws(compact('HS256', secret, { [name]: 'http://127.0.0.1:1/' }))).toThrow(/refused/);
  });

  it('names keys: RFC 7638 thumbprints for public keys, a truncated hash for secrets', () => {
    // RFC 7638 section 3.1 example key and thumbprint
    const example = createPublicKey({
      format: 'jwk',
      key: {
        kty: 'RSA',
        e: 'AQAB',
        n: '0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw',
      },
    });
    expect(publicKeyKid(example)).toBe('NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs');
    expect(publicKeyKid(ec.privateKey)).toBe(publicKeyKid(ec.publicKey));
    expect(secretKid('s'.repeat(32))).toMatch(/^hs-[\w-]{16}$/);
    expect(secretKid('s'.repeat(32))).toBe(secretKid('s'.repeat(32)));
    expect(secretKid('t'.repeat(32))).not.toBe(secretKid('s'.repeat(32)));
  });
});
