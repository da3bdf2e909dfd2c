import { Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { MoreThanOrEqual, Repository } from 'typeorm';
import { AppConfig } from '../config/app-config';
import type { RevokeReason } from '../protocol';
import { RevocationBus, SessionEndedEvent, SessionEndedHandler } from './revocation-bus';
import { SessionEntity } from './session.entity';

/**
 * The revocation fast path.
 *
 * Access tokens are stateless JWTs, yet one must stop working the moment its session ends.
 * Checking the database on every request or socket event would put I/O on the hottest path,
 * so instead every node keeps, in memory, the ids of sessions that ended within the last
 * access-token lifetime (after that, every access token of the session has expired anyway).
 *
 * - At boot the set is loaded from `sessions.revoked_at` (so a restart forgets nothing) and,
 *   with Redis, from the set of sessions other nodes ended.
 * - `announce` adds the id locally *before* returning (the REST call that ended the session
 *   answers only once this node refuses the token) and publishes it on the `RevocationBus`,
 *   which reaches every node (Redis pub/sub when configured) and the real-time layer, which
 *   disconnects that session's sockets.
 * - `isEnded` is a Map lookup: no I/O.
 */
@Injectable()
export class RevocationService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(RevocationService.name);
  /** session id → why it ended and when it may be forgotten (ms since epoch) */
  private readonly ended = new Map<string, { reason: RevokeReason; forgetAt: number }>();
  private unsubscribe: (() => void) | null = null;
  private pruneTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly config: AppConfig,
    private readonly bus: RevocationBus,
    @InjectRepository(SessionEntity) private readonly sessions: Repository<SessionEntity>,
  ) {}

  async onModuleInit(): Promise<void> {
    this.unsubscribe = this.bus.subscribe((event) => this.remember(event.sid, event.reason));
    const since = new Date(Date.now() - this.config.jwt.accessTtlMs);
    const recent = await this.sessions.find({
      select: { id: true, revokedAt: true, revokeReason: true },
      where: { revokedAt: MoreThanOrEqual(since) },
    });
    for (const session of recent) this.remember(session.id, session.revokeReason ?? 'logout', session.revokedAt ?? undefined);
    const fromBus = await this.bus.recent().catch((): SessionEndedEvent[] => []);
    for (const event of fromBus) this.remember(event.sid, event.reason);
    this.logger.log(`Loaded ${recent.length + fromBus.length} recently ended session(s)`);
    this.pruneTimer = setInterval(() => this.prune(), 60_000).unref();
  }

  onModuleDestroy(): void {
    this.unsubscribe?.();
    if (this.pruneTimer) clearInterval(this.pruneTimer);
  }

  isEnded(sid: string): boolean {
    return this.ended.has(sid);
  }

  /** Why the session ended, if it did (within the last access-token lifetime). */
  endedReason(sid: string): RevokeReason | null {
    return this.ended.get(sid)?.reason ?? null;
  }

  /** Records the end locally, then tells every node and every subscriber. */
  async announce(event: SessionEndedEvent): Promise<void> {
    this.remember(event.sid, event.reason);
    await this.bus.publish(event);
  }

  onEnded(handler: SessionEndedHandler): () => void {
    return this.bus.subscribe(handler);
  }

  /** Adds ids learnt from elsewhere (e.g. the Redis set at boot). */
  remember(sid: string, reason: RevokeReason, endedAt: Date = new Date()): void {
    const forgetAt = endedAt.getTime() + this.config.jwt.accessTtlMs + 1000;
    const known = this.ended.get(sid);
    if (!known || known.forgetAt < forgetAt) this.ended.set(sid, { reason: known?.reason ?? reason, forgetAt });
  }

  private prune(): void {
    const now = Date.now();
    for (const [sid, { forgetAt }] of this.ended) if (forgetAt <= now) this.ended.delete(sid);
  }
}
