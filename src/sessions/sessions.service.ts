import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { In, IsNull, MoreThan, Repository } from 'typeorm';
import { AppError } from '../common/errors';
import { newId } from '../common/ids';
import { RevocationService } from './revocation.service';
import type { RevokeReason } from '../protocol';
import { SessionEntity } from './session.entity';

export interface SessionMeta {
  userAgent: string | null;
  ip: string | null;
}

export type RotateOutcome = 'rotated' | 'reused' | 'ended';

/** Sessions in the database. Ending one always goes through `RevocationService.announce`. */
@Injectable()
export class SessionsService {
  constructor(
    @InjectRepository(SessionEntity) private readonly sessions: Repository<SessionEntity>,
    private readonly revocation: RevocationService,
  ) {}

  async create(userId: string, refreshHash: string, expiresAt: Date, meta: SessionMeta, id = newId()): Promise<SessionEntity> {
    const now = new Date();
    const session = this.sessions.create({
      id,
      userId,
      refreshHash,
      createdAt: now,
      lastUsedAt: now,
      expiresAt,
      revokedAt: null,
      revokeReason: null,
      userAgent: meta.userAgent?.slice(0, 512) ?? null,
      ip: meta.ip?.slice(0, 64) ?? null,
    });
    await this.sessions.insert(session);
    return session;
  }

  /**
   * Compare-and-swap of the refresh token hash in one statement: of two racing refreshes
   * with the same token exactly one wins. A signed token of this session whose hash is no
   * longer current has been spent before: that is reuse (RFC 9700 §4.14.2), and the caller
   * ends the session.
   */
  async rotate(sid: string, presentedHash: string, nextHash: string, expiresAt: Date): Promise<RotateOutcome> {
    const now = new Date();
    const result = await this.sessions
      .createQueryBuilder()
      .update(SessionEntity)
      .set({ refreshHash: nextHash, lastUsedAt: now, expiresAt })
      .where('id = :sid', { sid })
      .andWhere('refresh_hash = :presentedHash', { presentedHash })
      .andWhere('revoked_at IS NULL')
      .andWhere('expires_at > :now', { now })
      .execute();
    if (result.affected === 1) return 'rotated';
    const session = await this.sessions.findOneBy({ id: sid });
    if (!session || session.revokedAt || session.expiresAt <= now) return 'ended';
    return 'reused';
  }

  /** Ends one session; returns false if it had already ended. */
  async end(sid: string, reason: RevokeReason): Promise<boolean> {
    const session = await this.sessions.findOne({ select: { id: true, userId: true }, where: { id: sid } });
    if (!session) return false;
    const result = await this.sessions.update({ id: sid, revokedAt: IsNull() }, { revokedAt: new Date(), revokeReason: reason });
    if (result.affected !== 1) return false;
    await this.revocation.announce({ sid, userId: session.userId, reason });
    return true;
  }

  /** Ends every live session of the user, but `exceptSid` if given. */
  async endAllForUser(userId: string, reason: RevokeReason, exceptSid?: string): Promise<number> {
    const live = await this.sessions.find({ select: { id: true }, where: { userId, revokedAt: IsNull() } });
    const ids = live.map((s) => s.id).filter((id) => id !== exceptSid);
    if (ids.length === 0) return 0;
    await this.sessions.update({ id: In(ids), revokedAt: IsNull() }, { revokedAt: new Date(), revokeReason: reason });
    await Promise.all(ids.map((sid) => this.revocation.announce({ sid, userId, reason })));
    return ids.length;
  }

  /** Live sessions (not ended, not expired), most recently used first. */
  listActive(userId: string): Promise<SessionEntity[]> {
    return this.sessions.find({
      where: { userId, revokedAt: IsNull(), expiresAt: MoreThan(new Date()) },
      order: { lastUsedAt: 'DESC' },
    });
  }

  /** Ends a session of this user; another user's session is indistinguishable from none. */
  async endOwn(userId: string, sid: string): Promise<void> {
    const session = await this.sessions.findOneBy({ id: sid, userId, revokedAt: IsNull() });
    if (!session) throw new AppError('NOT_FOUND', 'Session not found');
    await this.end(sid, 'session_deleted');
  }
}
