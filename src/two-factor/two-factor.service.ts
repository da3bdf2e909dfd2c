import { Injectable, Logger } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { createHash, createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { IsNull, LessThan, Repository } from 'typeorm';
import { AppError } from '../common/errors';
import { newId } from '../common/ids';
import { AppConfig } from '../config/app-config';
import type { TwoFactorSetup } from '../protocol';
import { UsersService } from '../users/users.service';
import { MfaChallengeEntity } from './mfa-challenge.entity';
import { RecoveryCodeEntity } from './recovery-code.entity';
import { SecretBox } from './secret-box';
import { base32Encode, matchingStep, newTotpSecret, otpauthUrl } from './totp';

export const MFA_TOKEN_TTL_SECONDS = 300;
export const MFA_MAX_FAILURES = 5;
const RECOVERY_CODES = 10;
const ISSUER = 'Parley';

/** A second factor as presented: a TOTP code or a recovery code. */
export type SecondFactor = { code: string } | { recoveryCode: string };

/**
 * TOTP two-factor sign-in (RFC 6238, see totp.ts): secrets sealed with AES-256-GCM under a
 * key from configuration; each time step accepted once per user through a compare-and-swap
 * in the database (so on every node); recovery codes as keyed hashes, single use; the second
 * login step as an opaque token stored as sha256, spent after 5 wrong codes or 5 minutes.
 */
@Injectable()
export class TwoFactorService {
  private readonly logger = new Logger(TwoFactorService.name);
  private readonly box: SecretBox;
  private readonly recoveryKey: Buffer;

  constructor(
    config: AppConfig,
    private readonly users: UsersService,
    @InjectRepository(RecoveryCodeEntity) private readonly recoveryCodes: Repository<RecoveryCodeEntity>,
    @InjectRepository(MfaChallengeEntity) private readonly challenges: Repository<MfaChallengeEntity>,
  ) {
    this.box = new SecretBox(config.twoFactor.encryptionKey);
    // its own key, so a leaked table of hashes cannot be checked against guesses offline
    this.recoveryKey = Buffer.from(hkdfSync('sha256', config.twoFactor.encryptionKey, Buffer.alloc(0), 'parley recovery codes v1', 32));
  }

  /** A new pending secret (replacing a pending one); 409 once enabled. */
  async setup(userId: string, account: string): Promise<TwoFactorSetup> {
    const secret = newTotpSecret();
    if (!(await this.users.setTwoFactorPending(userId, this.box.seal(secret, userId)))) {
      throw new AppError('CONFLICT', 'Two-factor sign-in is already enabled');
    }
    const base32 = base32Encode(secret);
    return { secret: base32, otpauthUrl: otpauthUrl(base32, ISSUER, account) };
  }

  /** Checks a code of the pending secret; on success 2FA is on. Returns the codes and the new credentials version. */
  async enable(userId: string, code: string): Promise<{ recoveryCodes: string[]; credentialsVersion: number }> {
    const state = await this.users.getTwoFactorState(userId);
    if (state.twoFactorEnabledAt) throw new AppError('CONFLICT', 'Two-factor sign-in is already enabled');
    const pending = state.twoFactorPending;
    const secret = pending ? this.open(pending, userId) : null;
    const step = secret ? matchingStep(secret, code, Date.now()) : null;
    if (!pending || step === null) throw new AppError('VALIDATION_FAILED', 'Wrong code');
    const codes = Array.from({ length: RECOVERY_CODES }, () => newRecoveryCode());
    // Codes first: until the swap below they are inert (only checked while 2FA is on).
    await this.recoveryCodes.delete({ userId });
    const now = new Date();
    await this.recoveryCodes.insert(codes.map((c) => ({ id: newId(), userId, codeHash: this.hashRecoveryCode(c), usedAt: null, createdAt: now })));
    const credentialsVersion = await this.users.enableTwoFactor(userId, pending, step);
    if (credentialsVersion === null) throw new AppError('VALIDATION_FAILED', 'Wrong code');
    return { recoveryCodes: codes, credentialsVersion };
  }

  /** Turns 2FA off; returns the new credentials version, or null if it was not on. */
  async disable(userId: string): Promise<number | null> {
    const version = await this.users.disableTwoFactor(userId);
    await this.recoveryCodes.delete({ userId });
    return version;
  }

  /**
   * Verifies and spends a second factor. A TOTP code counts once per user: its time step must
   * be later than the last accepted one (compare-and-swap). A refused attempt spends nothing.
   */
  async verify(userId: string, factor: SecondFactor): Promise<boolean> {
    if ('recoveryCode' in factor) return this.spendRecoveryCode(userId, factor.recoveryCode);
    const state = await this.users.getTwoFactorState(userId);
    const secret = state.twoFactorEnabledAt && state.twoFactorSecret ? this.open(state.twoFactorSecret, userId) : null;
    if (!secret) return false;
    const step = matchingStep(secret, factor.code, Date.now());
    if (step === null || (state.twoFactorLastStep !== null && step <= state.twoFactorLastStep)) return false;
    return this.users.spendTotpStep(userId, step);
  }

  /** `code` of POST /auth/2fa/disable: six digits are a TOTP code, anything else a recovery code. */
  verifyEither(userId: string, code: string): Promise<boolean> {
    return this.verify(userId, /^\s*\d{6}\s*$/.test(code) ? { code } : { recoveryCode: code });
  }

  // ---- the second login step ----

  async createChallenge(userId: string, credentialsVersion: number): Promise<string> {
    const token = randomBytes(32).toString('base64url');
    const now = new Date();
    await this.challenges.delete({ userId, expiresAt: LessThan(now) });
    await this.challenges.insert({
      id: sha256(token),
      userId,
      credentialsVersion,
      failures: 0,
      expiresAt: new Date(now.getTime() + MFA_TOKEN_TTL_SECONDS * 1000),
      usedAt: null,
      createdAt: now,
    });
    return token;
  }

  /**
   * Runs the second step for a token: claims it (one attempt at a time), checks the factor,
   * and either keeps it spent (success) or gives it back with one more failure; the fifth
   * failure spends it for good. Returns the challenge on success.
   */
  async answerChallenge(token: string, factor: SecondFactor): Promise<MfaChallengeEntity> {
    const id = sha256(token);
    const now = new Date();
    const claimed = await this.challenges
      .createQueryBuilder()
      .update(MfaChallengeEntity)
      .set({ usedAt: now })
      .where('id = :id', { id })
      .andWhere('used_at IS NULL')
      .andWhere('failures < :max', { max: MFA_MAX_FAILURES })
      .andWhere('expires_at > :now', { now })
      .execute();
    const challenge = claimed.affected === 1 ? await this.challenges.findOneBy({ id }) : null;
    if (!challenge) throw new AppError('TOKEN_INVALID', 'The sign-in step is invalid, expired or spent; sign in again');
    if (await this.verify(challenge.userId, factor)) return challenge;
    await this.challenges.update({ id, usedAt: now }, { usedAt: null, failures: () => 'failures + 1' });
    throw new AppError('INVALID_CREDENTIALS', 'Wrong or already used code');
  }

  /** The secret, or null (logged) when this key did not seal it: every code then fails. */
  private open(sealed: string, userId: string): Buffer | null {
    try {
      return this.box.open(sealed, userId);
    } catch {
      this.logger.error(
        `The two-factor secret of user ${userId} cannot be decrypted: was TWO_FACTOR_ENCRYPTION_KEY (or JWT_REFRESH_SECRET) changed?`,
      );
      return null;
    }
  }

  private async spendRecoveryCode(userId: string, code: string): Promise<boolean> {
    const state = await this.users.getTwoFactorState(userId);
    if (!state.twoFactorEnabledAt) return false;
    const result = await this.recoveryCodes.update({ userId, codeHash: this.hashRecoveryCode(code), usedAt: IsNull() }, { usedAt: new Date() });
    return result.affected === 1;
  }

  /** Case, spaces and dashes do not matter when typing a recovery code. */
  private hashRecoveryCode(code: string): string {
    return createHmac('sha256', this.recoveryKey).update(code.toLowerCase().replace(/[\s-]/g, '')).digest('hex');
  }
}

/** 60 random bits as `xxxx-xxxx-xxxx` (base32, lower case). */
function newRecoveryCode(): string {
  const text = base32Encode(randomBytes(8)).slice(0, 12).toLowerCase();
  return `${text.slice(0, 4)}-${text.slice(4, 8)}-${text.slice(8)}`;
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
