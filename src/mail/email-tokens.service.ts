import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { createHash, randomBytes } from 'node:crypto';
import { IsNull, Repository } from 'typeorm';
import { AppError } from '../common/errors';
import { newId } from '../common/ids';
import { EmailTokenEntity, EmailTokenKind } from './email-token.entity';

const LIFETIME_MS: Record<EmailTokenKind, number> = {
  verify: 24 * 60 * 60 * 1000,
  reset: 60 * 60 * 1000,
};

const hash = (token: string) => createHash('sha256').update(token).digest('hex');

@Injectable()
export class EmailTokensService {
  constructor(@InjectRepository(EmailTokenEntity) private readonly tokens: Repository<EmailTokenEntity>) {}

  /** A fresh 256-bit token; any older unused token of the same kind stops working. */
  async issue(userId: string, kind: EmailTokenKind): Promise<string> {
    const token = randomBytes(32).toString('base64url');
    const now = new Date();
    await this.tokens.manager.transaction(async (em) => {
      await em.update(EmailTokenEntity, { userId, kind, usedAt: IsNull() }, { usedAt: now });
      await em.insert(EmailTokenEntity, {
        id: newId(),
        userId,
        kind,
        tokenHash: hash(token),
        expiresAt: new Date(now.getTime() + LIFETIME_MS[kind]),
        usedAt: null,
        createdAt: now,
      });
    });
    return token;
  }

  /** Every unused token of this kind stops working (a password change voids pending reset links). */
  async voidPending(userId: string, kind: EmailTokenKind): Promise<void> {
    await this.tokens.update({ userId, kind, usedAt: IsNull() }, { usedAt: new Date() });
  }

  /** Marks the token used (atomically: one of two racing uses wins) and returns its user. */
  async consume(kind: EmailTokenKind, token: string): Promise<string> {
    const tokenHash = hash(token);
    const now = new Date();
    const result = await this.tokens
      .createQueryBuilder()
      .update(EmailTokenEntity)
      .set({ usedAt: now })
      .where('token_hash = :tokenHash', { tokenHash })
      .andWhere('kind = :kind', { kind })
      .andWhere('used_at IS NULL')
      .andWhere('expires_at > :now', { now })
      .execute();
    const row = result.affected === 1 ? await this.tokens.findOneBy({ tokenHash }) : null;
    if (!row) throw new AppError('VALIDATION_FAILED', 'The link is invalid, expired or already used');
    return row.userId;
  }
}
