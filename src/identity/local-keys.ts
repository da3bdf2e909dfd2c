import { Injectable } from '@nestjs/common';
import { createPublicKey, createSecretKey, KeyObject } from 'node:crypto';
import { AccessAlgorithm, AppConfig } from '../config/app-config';
import type { Static } from '../protocol';
import { Jwks } from '../protocol';
import { JwsHeader, publicKeyKid, secretKid, VerificationKey } from './jws';

export interface Signer {
  kid: string;
  alg: AccessAlgorithm;
  key: KeyObject;
}

/**
 * The keys of one token type: the one that signs, and every key that verifies (current and
 * previous) by `kid`. A token's `kid` picks at most one key; there is no trying of keys.
 */
export class KeyRing {
  private readonly byKid = new Map<string, VerificationKey>();

  constructor(
    readonly signer: Signer,
    verifiers: readonly VerificationKey[],
    /**
     * Tokens issued before `kid` existed carry none: they are verified with the current
     * shared secret, the only key there was (HS256 rings only).
     */
    private readonly withoutKid: VerificationKey | null,
  ) {
    for (const key of verifiers) this.byKid.set(key.kid, key);
  }

  keyFor(header: JwsHeader): VerificationKey | null {
    if (header.kid === undefined) return this.withoutKid;
    return this.byKid.get(header.kid) ?? null;
  }

  get verifiers(): VerificationKey[] {
    return [...this.byKid.values()];
  }
}

const secretKey = (secret: string): VerificationKey & Signer => ({
  kid: secretKid(secret),
  alg: 'HS256',
  key: createSecretKey(Buffer.from(secret, 'utf8')),
});

/**
 * Parley's own signing keys, made into `KeyObject`s once at boot: access tokens (HS256 from
 * JWT_ACCESS_SECRET, or ES256 / EdDSA from JWT_SIGNING_KEY_FILE) and refresh tokens (always
 * HS256 from JWT_REFRESH_SECRET), each with its previous key for rotation.
 */
@Injectable()
export class LocalKeys {
  readonly access: KeyRing;
  readonly refresh: KeyRing;

  constructor(config: AppConfig) {
    const { keys } = config;
    const previousAccess: VerificationKey[] = [];
    // A previous shared secret also verifies after a switch from HS256 to ES256 / EdDSA.
    if (keys.accessSecretPrevious) previousAccess.push(secretKey(keys.accessSecretPrevious));
    if (keys.signingKeyPrevious) previousAccess.push(this.publicKey(keys.signingKeyPrevious, keys.algorithm));
    if (keys.algorithm === 'HS256' || !keys.signingKey) {
      const current = secretKey(config.jwt.accessSecret);
      this.access = new KeyRing(current, [current, ...previousAccess], current);
    } else {
      const verifier = this.publicKey(createPublicKey(keys.signingKey), keys.algorithm);
      this.access = new KeyRing({ kid: verifier.kid, alg: keys.algorithm, key: keys.signingKey }, [verifier, ...previousAccess], null);
    }
    const refresh = secretKey(config.jwt.refreshSecret);
    const previousRefresh = keys.refreshSecretPrevious ? [secretKey(keys.refreshSecretPrevious)] : [];
    this.refresh = new KeyRing(refresh, [refresh, ...previousRefresh], refresh);
  }

  /** The public access-token keys in use, for `GET /.well-known/jwks.json` (none under HS256). */
  jwks(): Static<typeof Jwks> {
    const keys = this.access.verifiers
      .filter((verifier) => verifier.alg !== 'HS256')
      .map((verifier) => ({ ...verifier.key.export({ format: 'jwk' }), kid: verifier.kid, alg: verifier.alg, use: 'sig' }));
    return { keys };
  }

  private publicKey(key: KeyObject, alg: AccessAlgorithm): VerificationKey & { alg: AccessAlgorithm } {
    return { kid: publicKeyKid(key), alg, key };
  }
}
