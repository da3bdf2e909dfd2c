import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { In, IsNull, Repository } from 'typeorm';
import { AppError } from '../common/errors';
import { newId } from '../common/ids';
import { isUniqueViolation } from '../database/errors';
import { displayNameKey, Role, ROLES, type UserSummary } from '../protocol';
import { UserEntity } from './user.entity';

export interface NewUser {
  email: string;
  passwordHash: string;
  displayName: string;
}

@Injectable()
export class UsersService {
  constructor(@InjectRepository(UserEntity) private readonly users: Repository<UserEntity>) {}

  async create(input: NewUser): Promise<UserEntity> {
    const now = new Date();
    const user = this.users.create({
      id: newId(),
      email: normalizeEmail(input.email),
      passwordHash: input.passwordHash,
      displayName: input.displayName.trim(),
      displayNameKey: displayNameKey(input.displayName.trim()),
      role: 'user',
      emailVerifiedAt: null,
      createdAt: now,
      updatedAt: now,
      blockedAt: null,
      blockedReason: null,
      credentialsVersion: 0,
      twoFactorSecret: null,
      twoFactorPending: null,
      twoFactorEnabledAt: null,
      twoFactorLastStep: null,
    });
    try {
      await this.users.insert(user);
    } catch (error) {
      if (isUniqueViolation(error)) throw new AppError('CONFLICT', 'Email is already registered');
      throw error;
    }
    return user;
  }

  findById(id: string): Promise<UserEntity | null> {
    return this.users.findOneBy({ id });
  }

  /** The users among `ids` (unknown ids are left out), for names in lists. */
  async summaries(ids: readonly string[]): Promise<Map<string, UserSummary>> {
    const found = new Map<string, UserSummary>();
    if (ids.length === 0) return found;
    const rows = await this.users.find({ select: { id: true, displayName: true }, where: { id: In([...new Set(ids)]) } });
    for (const row of rows) found.set(row.id, { id: row.id, displayName: row.displayName });
    return found;
  }

  /**
   * At most `limit` users whose display name starts with `prefix` (NFC, case-insensitive),
   * ordered by display name: a range scan on the indexed `display_name_key`. The upper bound is
   * the prefix followed by the highest code point, so every continuation falls inside it.
   */
  async getSummary(id: string): Promise<UserSummary> {
    const user = await this.users.findOne({ select: { id: true, displayName: true }, where: { id } });
    if (!user) throw new AppError('NOT_FOUND', 'No such user');
    return { id: user.id, displayName: user.displayName };
  }

  async searchByDisplayName(prefix: string, limit: number): Promise<UserSummary[]> {
    const key = displayNameKey(prefix);
    const rows = await this.users
      .createQueryBuilder('user')
      .select(['user.id', 'user.displayName', 'user.displayNameKey'])
      .where('user.displayNameKey >= :low AND user.displayNameKey < :high', { low: key, high: `${key}\u{10FFFF}` })
      .orderBy('user.displayNameKey', 'ASC')
      .addOrderBy('user.id', 'ASC')
      .limit(limit)
      .getMany();
    // a PAD SPACE collation would let "ab" match "ab "; the key itself decides
    return rows.filter((row) => (row.displayNameKey ?? '').startsWith(key)).map((row) => ({ id: row.id, displayName: row.displayName }));
  }

  /** Includes `passwordHash`, which is never selected otherwise. */
  findByEmailWithPassword(email: string): Promise<UserEntity | null> {
    return this.users
      .createQueryBuilder('user')
      .addSelect('user.passwordHash')
      .where('user.email = :email', { email: normalizeEmail(email) })
      .getOne();
  }

  async getPasswordHash(id: string): Promise<string> {
    const row = await this.users.createQueryBuilder('user').select(['user.id', 'user.passwordHash']).where('user.id = :id', { id }).getOne();
    if (!row) throw new AppError('NOT_FOUND', 'User not found');
    return row.passwordHash;
  }

  findByEmail(email: string): Promise<UserEntity | null> {
    return this.users.findOneBy({ email: normalizeEmail(email) });
  }

  /** New password, new credentials version (sessions of the old one end); returns the new version. */
  async setPasswordHash(id: string, passwordHash: string): Promise<number> {
    await this.users.update({ id }, { passwordHash, updatedAt: new Date(), credentialsVersion: () => 'credentials_version + 1' });
    return this.getCredentialsVersion(id);
  }

  async getCredentialsVersion(id: string): Promise<number> {
    const row = await this.users.findOne({ select: { id: true, credentialsVersion: true }, where: { id } });
    if (!row) throw new AppError('NOT_FOUND', 'User not found');
    return row.credentialsVersion;
  }

  // ---- two-factor state (the secrets are sealed by src/two-factor before they get here) ----

  /** The sealed secrets and the last accepted step, which are never selected otherwise. */
  async getTwoFactorState(
    id: string,
  ): Promise<Pick<UserEntity, 'twoFactorSecret' | 'twoFactorPending' | 'twoFactorEnabledAt' | 'twoFactorLastStep'>> {
    const row = await this.users
      .createQueryBuilder('user')
      .select(['user.id', 'user.twoFactorSecret', 'user.twoFactorPending', 'user.twoFactorEnabledAt', 'user.twoFactorLastStep'])
      .where('user.id = :id', { id })
      .getOne();
    if (!row) throw new AppError('NOT_FOUND', 'User not found');
    return row;
  }

  /** Stores a pending secret unless 2FA is already on (then false). */
  async setTwoFactorPending(id: string, sealed: string): Promise<boolean> {
    const result = await this.users.update({ id, twoFactorEnabledAt: IsNull() }, { twoFactorPending: sealed, updatedAt: new Date() });
    return result.affected === 1;
  }

  /**
   * Turns the pending secret on, in one compare-and-swap (the pending secret must still be
   * the one whose code was checked), with `step` already spent; new credentials version.
   */
  async enableTwoFactor(id: string, pending: string, step: number): Promise<number | null> {
    const now = new Date();
    const result = await this.users
      .createQueryBuilder()
      .update(UserEntity)
      .set({
        twoFactorSecret: pending,
        twoFactorPending: null,
        twoFactorEnabledAt: now,
        twoFactorLastStep: step,
        updatedAt: now,
        credentialsVersion: () => 'credentials_version + 1',
      })
      .where('id = :id', { id })
      .andWhere('two_factor_pending = :pending', { pending })
      .andWhere('two_factor_enabled_at IS NULL')
      .execute();
    return result.affected === 1 ? this.getCredentialsVersion(id) : null;
  }

  async disableTwoFactor(id: string): Promise<number | null> {
    const result = await this.users
      .createQueryBuilder()
      .update(UserEntity)
      .set({
        twoFactorSecret: null,
        twoFactorPending: null,
        twoFactorEnabledAt: null,
        twoFactorLastStep: null,
        updatedAt: new Date(),
        credentialsVersion: () => 'credentials_version + 1',
      })
      .where('id = :id', { id })
      .andWhere('two_factor_enabled_at IS NOT NULL')
      .execute();
    return result.affected === 1 ? this.getCredentialsVersion(id) : null;
  }

  /**
   * Spends a TOTP time step: a compare-and-swap in the database, so of two nodes that see the
   * same code at once exactly one accepts it, and no earlier step is accepted afterwards.
   */
  async spendTotpStep(id: string, step: number): Promise<boolean> {
    const result = await this.users
      .createQueryBuilder()
      .update(UserEntity)
      .set({ twoFactorLastStep: step })
      .where('id = :id', { id })
      .andWhere('two_factor_enabled_at IS NOT NULL')
      .andWhere('(two_factor_last_step IS NULL OR two_factor_last_step < :step)', { step })
      .execute();
    return result.affected === 1;
  }

  /** Keeps the first verification time if the email was already verified. */
  async markEmailVerified(id: string): Promise<void> {
    const now = new Date();
    await this.users.update({ id, emailVerifiedAt: IsNull() }, { emailVerifiedAt: now, updatedAt: now });
  }

  /** The server API's role change; null for an unknown user. */
  async setRoleById(id: string, role: Role): Promise<UserEntity | null> {
    const result = await this.users.update({ id }, { role, updatedAt: new Date() });
    return result.affected === 1 ? this.findById(id) : null;
  }

  async setRole(email: string, role: string): Promise<UserEntity> {
    if (!isRole(role)) throw new AppError('VALIDATION_FAILED', `Unknown role "${role}" (expected one of: ${ROLES.join(', ')})`);
    const user = await this.findByEmail(email);
    if (!user) throw new AppError('NOT_FOUND', `No user with email ${normalizeEmail(email)}`);
    await this.users.update({ id: user.id }, { role, updatedAt: new Date() });
    return { ...user, role };
  }
}

/** The one form an email is stored, looked up and rate-limited in: trimmed, Unicode NFC, lower case. */
export function normalizeEmail(email: string): string {
  return email.trim().normalize('NFC').toLowerCase();
}

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}
