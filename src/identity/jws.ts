import { createHash, createHmac, KeyObject, sign, timingSafeEqual, verify, constants } from 'node:crypto';

/**
 * Compact JWS (JWT) signing and verification on node:crypto with `KeyObject`s made at boot.
 * Synchronous, no key import per call, and nothing in a token decides which code runs beyond
 * its `alg` being the one its key is pinned to.
 */
export type JwsAlgorithm = 'HS256' | 'ES256' | 'EdDSA' | 'RS256' | 'PS256';

export interface JwsHeader {
  alg: string;
  kid?: string;
  typ?: string;
  [name: string]: unknown;
}

export interface DecodedJws {
  header: JwsHeader;
  payload: Record<string, unknown>;
  signingInput: string;
  signature: Buffer;
}

/** A key pinned to one algorithm: `alg` in a token header must equal it. */
export interface VerificationKey {
  kid: string;
  alg: JwsAlgorithm;
  key: KeyObject;
}

/**
 * Headers that point at keys elsewhere or change how the signature is read. Parley never
 * fetches a key from a URL or takes one from a token, so a token carrying them is refused.
 */
const REFUSED_HEADERS = ['jku', 'x5u', 'jwk', 'crit'] as const;

export class JwsError extends Error {
  override readonly name = 'JwsError';
}

/** Splits and parses a compact JWS; throws JwsError for anything malformed. */
export function decodeJws(token: string): DecodedJws {
  const parts = token.split('.');
  if (parts.length !== 3 || parts.some((part) => !/^[\w-]*$/.test(part))) throw new JwsError('malformed');
  const header = parseJson(parts[0]);
  const payload = parseJson(parts[1]);
  if (typeof header.alg !== 'string') throw new JwsError('no alg');
  if (header.kid !== undefined && typeof header.kid !== 'string') throw new JwsError('kid is not a string');
  for (const name of REFUSED_HEADERS) if (name in header) throw new JwsError(`header ${name} refused`);
  return { header: header as JwsHeader, payload, signingInput: `${parts[0]}.${parts[1]}`, signature: Buffer.from(parts[2], 'base64url') };
}

/** The signature of `jws` by `key`, with the algorithm the key is pinned to (never the header's choice). */
export function verifyJwsSignature(jws: DecodedJws, key: VerificationKey): boolean {
  if (jws.header.alg !== key.alg) return false;
  try {
    return verifyWith(key, Buffer.from(jws.signingInput, 'utf8'), jws.signature);
  } catch {
    // node:crypto throws on some malformed signatures instead of answering false
    return false;
  }
}

function verifyWith(key: VerificationKey, input: Buffer, signature: Buffer): boolean {
  switch (key.alg) {
    case 'HS256': {
      const expected = createHmac('sha256', key.key).update(input).digest();
      return expected.length === signature.length && timingSafeEqual(expected, signature);
    }
    case 'ES256':
      return verify('sha256', input, { key: key.key, dsaEncoding: 'ieee-p1363' }, signature);
    case 'EdDSA':
      return verify(null, input, key.key, signature);
    case 'RS256':
      return verify('sha256', input, { key: key.key, padding: constants.RSA_PKCS1_PADDING }, signature);
    case 'PS256':
      return verify('sha256', input, { key: key.key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }, signature);
  }
}

/** A compact JWS of `payload` with header `{ alg, typ: "JWT", kid }`. */
export function signJws(payload: Record<string, unknown>, signer: { kid: string; alg: 'HS256' | 'ES256' | 'EdDSA'; key: KeyObject }): string {
  const header = base64urlJson({ alg: signer.alg, typ: 'JWT', kid: signer.kid });
  const signingInput = `${header}.${base64urlJson(payload)}`;
  const input = Buffer.from(signingInput, 'utf8');
  let signature: Buffer;
  switch (signer.alg) {
    case 'HS256':
      signature = createHmac('sha256', signer.key).update(input).digest();
      break;
    case 'ES256':
      signature = sign('sha256', input, { key: signer.key, dsaEncoding: 'ieee-p1363' });
      break;
    case 'EdDSA':
      signature = sign(null, input, signer.key);
      break;
  }
  return `${signingInput}.${signature.toString('base64url')}`;
}

/** A `kid` for a shared secret: a truncated SHA-256, so it names the key without revealing it. */
export function secretKid(secret: string): string {
  return `hs-${createHash('sha256').update('parley-kid\0').update(secret, 'utf8').digest('base64url').slice(0, 16)}`;
}

/** The RFC 7638 thumbprint of a public key, the usual `kid` of a published key. */
export function publicKeyKid(key: KeyObject): string {
  const jwk = key.export({ format: 'jwk' });
  const members: Record<string, readonly string[]> = { EC: ['crv', 'kty', 'x', 'y'], OKP: ['crv', 'kty', 'x'], RSA: ['e', 'kty', 'n'] };
  const names = members[String(jwk.kty)];
  if (!names) throw new Error(`no thumbprint for key type ${String(jwk.kty)}`);
  const canonical = `{${names.map((name) => `"${name}":${JSON.stringify((jwk as Record<string, unknown>)[name])}`).join(',')}}`;
  return createHash('sha256').update(canonical).digest('base64url');
}

function parseJson(part: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
  } catch {
    throw new JwsError('not JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new JwsError('not a JSON object');
  return value as Record<string, unknown>;
}

function base64urlJson(value: unknown): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}
