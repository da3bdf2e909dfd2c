import { Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { MoreThanOrEqual, Repository } from 'typeorm';
import { AppConfig } from '../config/app-config';
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
  /** session id → when it may be forgotten (ms since epoch) */
  private readonly ended = new Map<string, number>();
  private unsubscribe: (() => void) | null = null;
  private pruneTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly config: AppConfig,
    private readonly bus: RevocationBus,
    @InjectRepository(SessionEntity) private readonly sessions: Repository<SessionEntity>,
  ) {}

  async onModuleInit(): Promise<void> {
    this.unsubscribe = this.bus.subscribe((event) => this.remember(event.sid));
    const since = new Date(Date.now() - this.config.jwt.accessTtlMs);
    const recent = await this.sessions.find({
      select: { id: true, revokedAt: true },
      where: { revokedAt: MoreThanOrEqual(since) },
    });
    for (const session of recent) this.remember(session.id, session.revokedAt ?? undefined);
    const fromBus = await this.bus.recent().catch(() => []);
    for (const sid of fromBus) this.remember(sid);
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

  /** Records the end locally, then tells every node and every subscriber. */
  async announce(event: SessionEndedEvent): Promise<void> {
    this.remember(event.sid);
    await this.bus.publish(event);
  }

  onEnded(handler: SessionEndedHandler): () => void {
    return this.bus.subscribe(handler);
  }

  /** Adds ids learnt from elsewhere (e.g. the Redis set at boot). */
  remember(sid: string, endedAt: Date = new Date()): void {
    const forgetAt = endedAt.getTime() + this.config.jwt.accessTtlMs + 1000;
    if ((this.ended.get(sid) ?? 0) < forgetAt) this.ended.set(sid, forgetAt);
  }

  private prune(): void {
    const now = Date.now();
    for (const [sid, forgetAt] of this.ended) if (forgetAt <= now) this.ended.delete(sid);
  }
}
