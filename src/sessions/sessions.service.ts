import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { In, IsNull, MoreThan, Repository } from 'typeorm';
import { AppError } from '../common/errors';
import { RevocationService } from './revocation.service';
import type { RevokeReason } from '../protocol';
import { SessionEntity } from './session.entity';

export interface SessionMeta {
  userAgent: string | null;
  ip: string | null;
}

/** `stale`: the presented token is current, but the user's credentials changed since the session began. */
export type RotateOutcome = 'rotated' | 'reused' | 'ended' | 'stale';

/** Sessions in the database. Ending one always goes through `RevocationService.announce`. */
@Injectable()
export class SessionsService {
  constructor(
    @InjectRepository(SessionEntity) private readonly sessions: Repository<SessionEntity>,
    private readonly revocation: RevocationService,
  ) {}

  /** `credentialsVersion`: the user's version the caller checked the credentials against. */
  async create(
    userId: string,
    refreshHash: string,
    expiresAt: Date,
    meta: SessionMeta,
    id: string,
    credentialsVersion: number,
  ): Promise<SessionEntity> {
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
      credentialsVersion,
    });
    await this.sessions.insert(session);
    return session;
  }

  /**
   * Compare-and-swap of the refresh token hash in one statement: of two racing refreshes
   * with the same token exactly one wins. A signed token of this session whose hash is no
   * longer current has been spent before: that is reuse (RFC 9700 §4.14.2), and the caller
   * ends the session. The same statement refuses a session created under credentials that
   * have changed since (a password reset racing its login): `stale`.
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
      .andWhere('credentials_version = (SELECT u.credentials_version FROM users u WHERE u.id = sessions.user_id)')
      .execute();
    if (result.affected === 1) return 'rotated';
    const session = await this.sessions.findOne({ select: { id: true, refreshHash: true, revokedAt: true, expiresAt: true }, where: { id: sid } });
    if (!session || session.revokedAt || session.expiresAt <= now) return 'ended';
    return session.refreshHash === presentedHash ? 'stale' : 'reused';
  }

  /** The session now belongs to the user's new credentials (the caller of a password or 2FA change keeps it). */
  async adoptCredentials(sid: string, credentialsVersion: number): Promise<void> {
    await this.sessions.update({ id: sid }, { credentialsVersion });
  }

  /** Ended, as this node knows it or as the database has it (read, not the hot path). */
  async isEnded(sid: string): Promise<boolean> {
    if (this.revocation.isEnded(sid)) return true;
    const session = await this.sessions.findOne({ select: { id: true, revokedAt: true }, where: { id: sid } });
    return !session || session.revokedAt !== null;
  }

  /**
   * Ends one session; returns false if it had already ended. Answers once the database has it
   * and this node refuses it; the other nodes are told in the background (a Redis stall must
   * not hold the caller; they also re-read the database every few seconds).
   */
  async end(sid: string, reason: RevokeReason): Promise<boolean> {
    const session = await this.sessions.findOne({ select: { id: true, userId: true }, where: { id: sid } });
    if (!session) return false;
    const result = await this.sessions.update({ id: sid, revokedAt: IsNull() }, { revokedAt: new Date(), revokeReason: reason });
    if (result.affected !== 1) return false;
    this.revocation.announce({ sid, userId: session.userId, reason });
    return true;
  }

  /** Ends every live session of the user, but `exceptSid` if given. */
  async endAllForUser(userId: string, reason: RevokeReason, exceptSid?: string): Promise<number> {
    const live = await this.sessions.find({ select: { id: true }, where: { userId, revokedAt: IsNull() } });
    const ids = live.map((s) => s.id).filter((id) => id !== exceptSid);
    if (ids.length === 0) return 0;
    await this.sessions.update({ id: In(ids), revokedAt: IsNull() }, { revokedAt: new Date(), revokeReason: reason });
    for (const sid of ids) this.revocation.announce({ sid, userId, reason });
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
