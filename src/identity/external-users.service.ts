import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { newId } from '../common/ids';
import { AppConfig } from '../config/app-config';
import { isUniqueViolation } from '../database/errors';
import { DisplayNameField, Role } from '../protocol';
import { UserEntity } from '../users/user.entity';
import { normalizeEmail } from '../users/users.service';
import { UserIdentityEntity } from './user-identity.entity';
import type { ExternalClaims } from './oidc-verifier';

export interface ExternalUser {
  id: string;
  displayName: string;
  role: Role;
}

/** Known external users are looked up in memory; the row is re-read after this long (role changes). */
const CACHE_TTL_MS = 5 * 60_000;
const CACHE_MAX = 50_000;

/** What the token says about the user: null where it says nothing (claim absent or not configured). */
interface Claimed {
  role: Role | null;
  displayName: string | null;
}

const differs = (user: ExternalUser, claimed: Claimed) =>
  (claimed.role !== null && claimed.role !== user.role) || (claimed.displayName !== null && claimed.displayName !== user.displayName);

/**
 * Parley users behind external identities, created on first sight and keyed by (iss, sub) —
 * never linked to an existing account by email. After the first token, a user's tokens are
 * mapped from memory: a handshake or request with a cached user reads nothing.
 */
@Injectable()
export class ExternalUsersService {
  private readonly cache = new Map<string, { user: ExternalUser; loadedAt: number }>();
  private readonly pending = new Map<string, Promise<ExternalUser>>();
  private readonly roleClaim: string | null;

  constructor(
    config: AppConfig,
    @InjectDataSource() private readonly db: DataSource,
  ) {
    this.roleClaim = config.oidc?.roleClaim ?? null;
  }

  async userFor(claims: ExternalClaims): Promise<ExternalUser> {
    const cacheKey = `${claims.iss}\n${claims.sub}`;
    const cached = this.cache.get(cacheKey);
    const claimed = { role: this.roleClaim ? roleFrom(claims, this.roleClaim) : null, displayName: nameClaim(claims) };
    if (cached && Date.now() - cached.loadedAt < CACHE_TTL_MS && !differs(cached.user, claimed)) return cached.user;
    // Many sockets of one user arriving at once cost one lookup (and one provisioning).
    let pending = this.pending.get(cacheKey);
    if (!pending) {
      pending = this.resolve(claims, claimed).finally(() => this.pending.delete(cacheKey));
      this.pending.set(cacheKey, pending);
    }
    const user = await pending;
    this.remember(cacheKey, user);
    return user;
  }

  /** The stored user, created on first sight; the role and name follow the provider's claims. */
  private async resolve(claims: ExternalClaims, claimed: Claimed): Promise<ExternalUser> {
    let user = await this.load(claims);
    if (!user) return this.provision(claims, claimed.role ?? 'user');
    if (differs(user, claimed)) {
      user = { ...user, role: claimed.role ?? user.role, displayName: claimed.displayName ?? user.displayName };
      await this.db.getRepository(UserEntity).update({ id: user.id }, { role: user.role, displayName: user.displayName, updatedAt: new Date() });
    }
    return user;
  }

  private async load(claims: ExternalClaims): Promise<ExternalUser | null> {
    const row = await this.db
      .getRepository(UserEntity)
      .createQueryBuilder('user')
      .innerJoin(UserIdentityEntity, 'identity', 'identity.user_id = user.id')
      .where('identity.issuer = :issuer AND identity.subject = :subject', { issuer: claims.iss, subject: claims.sub })
      .getOne();
    return row ? { id: row.id, displayName: row.displayName, role: row.role } : null;
  }

  /**
   * A user and its identity in one transaction. The email is kept only when verified and no
   * other account has it. A concurrent first sight (another request, another node) wins the
   * unique index and we read its user instead.
   */
  private async provision(claims: ExternalClaims, role: Role): Promise<ExternalUser> {
    let email = verifiedEmail(claims);
    if (email && (await this.db.getRepository(UserEntity).existsBy({ email }))) email = null;
    for (;;) {
      const now = new Date();
      const user: UserEntity = {
        id: newId(),
        email,
        // No local password: bcrypt never matches an empty hash (PasswordHasher.verify).
        passwordHash: '',
        displayName: nameClaim(claims) ?? 'User',
        role,
        emailVerifiedAt: email ? now : null,
        createdAt: now,
        updatedAt: now,
        credentialsVersion: 0,
        twoFactorSecret: null,
        twoFactorPending: null,
        twoFactorEnabledAt: null,
        twoFactorLastStep: null,
      };
      try {
        await this.db.transaction(async (manager) => {
          await manager.insert(UserEntity, user);
          await manager.insert(UserIdentityEntity, { id: newId(), userId: user.id, issuer: claims.iss, subject: claims.sub, createdAt: now });
        });
        return { id: user.id, displayName: user.displayName, role: user.role };
      } catch (error) {
        if (!isUniqueViolation(error)) throw error;
        const existing = await this.load(claims);
        if (existing) return existing;
        if (email === null) throw error;
        // Someone registered that email in between: the external user goes without it.
        email = null;
      }
    }
  }

  private remember(key: string, user: ExternalUser): void {
    this.cache.delete(key);
    if (this.cache.size >= CACHE_MAX) this.cache.delete(this.cache.keys().next().value as string);
    this.cache.set(key, { user, loadedAt: Date.now() });
  }
}

/**
 * `admin` when the claim equals `admin` or is an array containing it. The claim is the
 * top-level one of that exact name when there is one (namespaced claims such as
 * `https://app.example.com/roles` hold dots), else the dotted path.
 */
export function roleFrom(claims: Record<string, unknown>, claim: string): Role {
  let value: unknown = claims;
  if (Object.hasOwn(claims, claim)) {
    value = claims[claim];
  } else {
    for (const segment of claim.split('.')) {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'user';
      value = (value as Record<string, unknown>)[segment];
    }
  }
  return value === 'admin' || (Array.isArray(value) && value.includes('admin')) ? 'admin' : 'user';
}

/** `name`, else `preferred_username`, trimmed to the display name's 50 characters; null without either. */
export function nameClaim(claims: Record<string, unknown>): string | null {
  for (const claim of [claims.name, claims.preferred_username]) {
    if (typeof claim === 'string' && claim.trim().length > 0) return [...claim.trim()].slice(0, DisplayNameField.maxLength).join('');
  }
  return null;
}

/** The `email` claim when `email_verified` is true and it looks like an address. */
export function verifiedEmail(claims: Record<string, unknown>): string | null {
  const { email } = claims;
  if (claims.email_verified !== true || typeof email !== 'string') return null;
  const normalized = normalizeEmail(email);
  return normalized.length <= 254 && /^[^@\s]+@[^@\s]+$/.test(normalized) ? normalized : null;
}
