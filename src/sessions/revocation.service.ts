import { Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { MoreThanOrEqual, Repository } from 'typeorm';
import { AppConfig } from '../config/app-config';
import type { RevokeReason } from '../protocol';
import { RevocationBus, SessionEndedEvent, SessionEndedHandler } from './revocation-bus';
import { SessionEntity } from './session.entity';

/**
 * How often every node re-reads the sessions ended since its last read, whatever the bus
 * says: the bound on how long a revocation can go unnoticed on a node whose pub/sub stream
 * broke (finding 5). The overlap re-reads a margin before the last read, for clocks of
 * different nodes (each stamps `revoked_at` with its own) and for commits still in flight.
 */
export const RECONCILE_INTERVAL_MS = 5000;
const RECONCILE_OVERLAP_MS = 30_000;

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
 *   answers only once this node refuses the token), tells this node's subscribers (the
 *   real-time layer disconnects that session's sockets) and publishes it on the
 *   `RevocationBus` in the background, which reaches every node (Redis pub/sub when configured).
 * - Every RECONCILE_INTERVAL_MS the node also reads the sessions ended since its last read
 *   (an indexed range on `revoked_at`), so a revocation reaches every node within about that
 *   interval even when the bus lost it.
 * - `isEnded` is a Map lookup: no I/O.
 */
@Injectable()
export class RevocationService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(RevocationService.name);
  /** session id → why it ended and when it may be forgotten (ms since epoch) */
  private readonly ended = new Map<string, { reason: RevokeReason; forgetAt: number }>();
  private readonly handlers = new Set<SessionEndedHandler>();
  private unsubscribe: (() => void) | null = null;
  private pruneTimer: NodeJS.Timeout | null = null;
  private reconcileTimer: NodeJS.Timeout | null = null;
  private lastReadAt = 0;
  private reconciling = false;

  constructor(
    private readonly config: AppConfig,
    private readonly bus: RevocationBus,
    @InjectRepository(SessionEntity) private readonly sessions: Repository<SessionEntity>,
  ) {}

  async onModuleInit(): Promise<void> {
    this.unsubscribe = this.bus.subscribe((event) => this.learn(event));
    const readAt = Date.now();
    const loaded = await this.readEndedSince(new Date(readAt - this.config.jwt.accessTtlMs));
    this.lastReadAt = readAt;
    const fromBus = await this.bus.recent().catch((): SessionEndedEvent[] => []);
    for (const event of fromBus) this.learn(event);
    this.logger.log(`Loaded ${loaded + fromBus.length} recently ended session(s)`);
    this.pruneTimer = setInterval(() => this.prune(), 60_000).unref();
    this.reconcileTimer = setInterval(() => void this.reconcile(), RECONCILE_INTERVAL_MS).unref();
  }

  onModuleDestroy(): void {
    this.unsubscribe?.();
    if (this.pruneTimer) clearInterval(this.pruneTimer);
    if (this.reconcileTimer) clearInterval(this.reconcileTimer);
  }

  isEnded(sid: string): boolean {
    return this.ended.has(sid);
  }

  /** Why the session ended, if it did (within the last access-token lifetime). */
  endedReason(sid: string): RevokeReason | null {
    return this.ended.get(sid)?.reason ?? null;
  }

  /**
   * Records the end locally and tells this node's subscribers at once; other nodes hear it
   * through the bus, published in the background (it never fails or holds the caller).
   */
  announce(event: SessionEndedEvent): void {
    this.learn(event);
    this.bus.publish(event).catch((error: Error) => this.logger.warn(`could not publish a revocation: ${error.message}`));
  }

  /** `handler` runs once per ended session this node learns of, however it learns it. */
  onEnded(handler: SessionEndedHandler): () => void {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }

  /** Reads the sessions ended since the last read (minus the overlap); learns the new ones. */
  async reconcile(): Promise<void> {
    if (this.reconciling) return;
    this.reconciling = true;
    const readAt = Date.now();
    try {
      await this.readEndedSince(new Date(this.lastReadAt - RECONCILE_OVERLAP_MS));
      this.lastReadAt = readAt;
    } catch (error) {
      this.logger.warn(`could not re-read ended sessions: ${(error as Error).message}`);
    } finally {
      this.reconciling = false;
    }
  }

  private async readEndedSince(since: Date): Promise<number> {
    const rows = await this.sessions.find({
      select: { id: true, userId: true, revokedAt: true, revokeReason: true },
      where: { revokedAt: MoreThanOrEqual(since) },
    });
    for (const row of rows) this.learn({ sid: row.id, userId: row.userId, reason: row.revokeReason ?? 'logout' }, row.revokedAt ?? undefined);
    return rows.length;
  }

  /** Remembers an end; the first time this node hears of it, tells the subscribers. */
  private learn(event: SessionEndedEvent, endedAt: Date = new Date()): void {
    if (!this.remember(event.sid, event.reason, endedAt)) return;
    for (const handler of this.handlers) handler(event);
  }

  /** Returns true when the session was not known to have ended. */
  private remember(sid: string, reason: RevokeReason, endedAt: Date): boolean {
    const forgetAt = endedAt.getTime() + this.config.jwt.accessTtlMs + 1000;
    if (forgetAt <= Date.now()) return false; // every access token of it has expired
    const known = this.ended.get(sid);
    if (!known || known.forgetAt < forgetAt) this.ended.set(sid, { reason: known?.reason ?? reason, forgetAt });
    return !known;
  }

  private prune(): void {
    const now = Date.now();
    for (const [sid, { forgetAt }] of this.ended) if (forgetAt <= now) this.ended.delete(sid);
  }
}
