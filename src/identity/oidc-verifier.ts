import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { createPublicKey, JsonWebKey, KeyObject } from 'node:crypto';
import { AppError } from '../common/errors';
import { AppConfig, OidcConfig } from '../config/app-config';
import { checkTimes, hasAudience } from './claims';
import { DecodedJws, JwsAlgorithm, verifyJwsSignature } from './jws';

/** The algorithms an external provider may sign with; never `none` nor a shared secret. */
const EXTERNAL_ALGORITHMS: ReadonlySet<string> = new Set<JwsAlgorithm>(['RS256', 'PS256', 'ES256', 'EdDSA']);
/** An unknown `kid` fetches the JWKS again at most this often (a flood of made-up kids costs one fetch). */
export const JWKS_REFETCH_INTERVAL_MS = 30_000;
/** Keys are re-read in the background after this long, so keys the provider dropped stop working. */
const JWKS_MAX_AGE_MS = 60 * 60_000;
/** A provider that does not answer is given up on quickly: a handshake waits at most this long. */
const FETCH_TIMEOUT_MS = 2000;
const MAX_DOCUMENT_BYTES = 256 * 1024;

interface ProviderKey {
  key: KeyObject;
  /** the JWK's `alg` when it names one; the token's must then match */
  alg: string | null;
}

/** Verified claims of an external access token. */
export interface ExternalClaims {
  iss: string;
  sub: string;
  exp: number;
  [claim: string]: unknown;
}

/**
 * Verifies access tokens of the configured OpenID Connect provider against its JWKS.
 * Keys are cached in memory: a token whose `kid` is cached is verified without any I/O.
 * An unknown `kid` fetches the JWKS again (at most once per 30 s, shared by every caller);
 * when the provider is down, cached keys keep working and unknown ones are refused within
 * the fetch timeout. The JWKS URL comes from configuration or the issuer's discovery
 * document, never from a token (`jku`, `x5u`, `jwk` are refused by decodeJws).
 */
@Injectable()
export class OidcVerifier implements OnModuleInit {
  private readonly logger = new Logger(OidcVerifier.name);
  private readonly oidc: OidcConfig | null;
  private keys = new Map<string, ProviderKey>();
  private jwksUrl: string | null;
  private lastAttempt = 0;
  private lastSuccess = 0;
  private inFlight: Promise<void> | null = null;

  constructor(config: AppConfig) {
    this.oidc = config.oidc;
    this.jwksUrl = config.oidc?.jwksUrl ?? null;
  }

  get issuer(): string | null {
    return this.oidc?.issuer ?? null;
  }

  /** Warms the cache without holding up the start: a provider that is down must not stop Parley. */
  onModuleInit(): void {
    if (this.oidc) void this.refresh();
  }

  /**
   * Signature by a key of the provider, algorithm allow-list, `iss` exact, `aud` containing
   * OIDC_AUDIENCE, `exp` / `nbf` without tolerance. Throws TOKEN_INVALID / TOKEN_EXPIRED.
   */
  async verify(jws: DecodedJws): Promise<ExternalClaims> {
    const oidc = this.oidc;
    if (!oidc) throw invalid();
    const { header, payload } = jws;
    if (!EXTERNAL_ALGORITHMS.has(header.alg) || header.kid === undefined) throw invalid();
    let key = this.keys.get(header.kid);
    if (!key) {
      await this.refresh();
      key = this.keys.get(header.kid);
      if (!key) throw invalid();
    } else if (Date.now() - this.lastSuccess > JWKS_MAX_AGE_MS) {
      void this.refresh();
    }
    if (key.alg !== null && key.alg !== header.alg) throw invalid();
    if (!fitsAlgorithm(key.key, header.alg) || !verifyJwsSignature(jws, { kid: header.kid, alg: header.alg as JwsAlgorithm, key: key.key })) {
      throw invalid();
    }
    if (payload.iss !== oidc.issuer) throw invalid();
    if (!hasAudience(payload.aud, oidc.audience)) throw invalid();
    if (typeof payload.sub !== 'string' || payload.sub.length === 0 || payload.sub.length > 255) throw invalid();
    checkTimes(payload, 'access token');
    return payload as ExternalClaims;
  }

  /** One fetch at a time, at most one attempt per interval; failures keep the cached keys. */
  private refresh(): Promise<void> {
    if (this.inFlight) return this.inFlight;
    if (Date.now() - this.lastAttempt < JWKS_REFETCH_INTERVAL_MS) return Promise.resolve();
    this.lastAttempt = Date.now();
    this.inFlight = this.fetchKeys()
      .then((keys) => {
        this.keys = keys;
        this.lastSuccess = Date.now();
      })
      .catch((error: unknown) => {
        this.logger.warn(`Could not read the identity provider's keys: ${error instanceof Error ? error.message : String(error)}`);
      })
      .finally(() => {
        this.inFlight = null;
      });
    return this.inFlight;
  }

  private async fetchKeys(): Promise<Map<string, ProviderKey>> {
    const oidc = this.oidc as OidcConfig;
    if (!this.jwksUrl) {
      const discovery = await fetchJson(`${oidc.issuer.replace(/\/$/, '')}/.well-known/openid-configuration`);
      if (discovery.issuer !== oidc.issuer) throw new Error('the discovery document names another issuer');
      if (typeof discovery.jwks_uri !== 'string' || !/^https?:\/\//.test(discovery.jwks_uri))
        throw new Error('the discovery document has no jwks_uri');
      this.jwksUrl = discovery.jwks_uri;
    }
    const jwks = await fetchJson(this.jwksUrl);
    if (!Array.isArray(jwks.keys)) throw new Error('the JWKS has no keys');
    const keys = new Map<string, ProviderKey>();
    for (const jwk of jwks.keys as unknown[]) {
      const parsed = importJwk(jwk);
      if (parsed) keys.set(parsed.kid, parsed.key);
    }
    // A provider answering with no usable key is having a bad moment: keep what we have.
    if (keys.size === 0) throw new Error('the JWKS has no signing key Parley can use');
    return keys;
  }
}

function invalid(): AppError {
  return new AppError('TOKEN_INVALID', 'Invalid access token');
}

/** Signing keys with a `kid` only; encryption keys and key types we do not verify are skipped. */
function importJwk(value: unknown): { kid: string; key: ProviderKey } | null {
  if (typeof value !== 'object' || value === null) return null;
  const jwk = value as Record<string, unknown>;
  if (typeof jwk.kid !== 'string' || (jwk.use !== undefined && jwk.use !== 'sig')) return null;
  if (jwk.kty !== 'RSA' && jwk.kty !== 'EC' && jwk.kty !== 'OKP') return null;
  if (jwk.alg !== undefined && (typeof jwk.alg !== 'string' || !EXTERNAL_ALGORITHMS.has(jwk.alg))) return null;
  const publicPart: Record<string, unknown> = { kty: jwk.kty };
  for (const name of ['n', 'e', 'crv', 'x', 'y']) if (jwk[name] !== undefined) publicPart[name] = jwk[name];
  try {
    const key = createPublicKey({ key: publicPart as JsonWebKey, format: 'jwk' });
    return { kid: jwk.kid, key: { key, alg: typeof jwk.alg === 'string' ? jwk.alg : null } };
  } catch {
    return null;
  }
}

/** The key's type must be the algorithm's: an RSA key for RS256 / PS256, P-256 for ES256, Ed25519 for EdDSA. */
function fitsAlgorithm(key: KeyObject, alg: string): boolean {
  switch (alg) {
    case 'RS256':
    case 'PS256':
      return key.asymmetricKeyType === 'rsa' && (key.asymmetricKeyDetails?.modulusLength ?? 0) >= 2048;
    case 'ES256':
      return key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1';
    case 'EdDSA':
      return key.asymmetricKeyType === 'ed25519';
    default:
      return false;
  }
}

async function fetchJson(url: string): Promise<Record<string, unknown>> {
  const response = await fetch(url, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS), headers: { accept: 'application/json' } });
  if (!response.ok) throw new Error(`${url} answered ${response.status}`);
  const text = await response.text();
  if (text.length > MAX_DOCUMENT_BYTES) throw new Error(`${url} sent more than ${MAX_DOCUMENT_BYTES} bytes`);
  const value: unknown = JSON.parse(text);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error(`${url} did not send a JSON object`);
  return value as Record<string, unknown>;
}
