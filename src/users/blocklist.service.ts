import { Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, IsNull, Not, Repository } from 'typeorm';
import { ClusterBus } from '../redis/cluster-bus';
import { UserEntity } from './user.entity';

const TOPIC = 'user-blocks';
/** Bound on how long a node may miss a (un)block whose notice was lost (e.g. a Redis outage). */
export const BLOCKLIST_RELOAD_MS = 5000;

/**
 * Who is blocked, in memory on every node, so the auth path (every request, handshake and
 * `auth:refresh`) checks it without I/O. Loaded from `users.blocked_at` at boot, kept current
 * by the cluster bus and reloaded every few seconds and after a Redis outage.
 */
@Injectable()
export class BlocklistService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(BlocklistService.name);
  private blocked = new Set<string>();
  /** Changes heard while a reload may have been reading older rows; re-applied after it. */
  private readonly recent = new Map<string, { blocked: boolean; at: number }>();
  private unsubscribe: (() => void) | null = null;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    @InjectRepository(UserEntity) private readonly users: Repository<UserEntity>,
    private readonly bus: ClusterBus,
  ) {}

  async onModuleInit(): Promise<void> {
    this.unsubscribe = this.bus.subscribe(TOPIC, (message) => {
      if (typeof message.userId === 'string') this.apply(message.userId, message.blocked === true);
    });
    this.bus.onRecovered(() => void this.reload());
    await this.reload();
    this.timer = setInterval(() => void this.reload(), BLOCKLIST_RELOAD_MS).unref();
  }

  onModuleDestroy(): void {
    this.unsubscribe?.();
    if (this.timer) clearInterval(this.timer);
  }

  isBlocked(userId: string): boolean {
    return this.blocked.has(userId);
  }

  /** Stores the block (or its end), then tells every node. Returns false for an unknown user. */
  /** `alongside` runs in the same transaction once the row changed (the user.blocked webhook event). */
  async set(userId: string, blocked: boolean, reason: string | null = null, alongside?: (manager: EntityManager) => Promise<void>): Promise<boolean> {
    const changes = blocked ? { blockedAt: new Date(), blockedReason: reason } : { blockedAt: null, blockedReason: null };
    const changed = await this.users.manager.transaction(async (manager) => {
      const result = await manager.update(UserEntity, { id: userId }, changes);
      if (result.affected === 1) await alongside?.(manager);
      return result.affected === 1;
    });
    if (!changed) return false;
    this.apply(userId, blocked);
    await this.bus.publish(TOPIC, { userId, blocked });
    return true;
  }

  private apply(userId: string, blocked: boolean): void {
    if (blocked) this.blocked.add(userId);
    else this.blocked.delete(userId);
    this.recent.set(userId, { blocked, at: Date.now() });
  }

  private async reload(): Promise<void> {
    const started = Date.now();
    try {
      const rows = await this.users.find({ select: { id: true }, where: { blockedAt: Not(IsNull()) } });
      const next = new Set(rows.map((r) => r.id));
      for (const [userId, change] of this.recent) {
        if (change.at < started - BLOCKLIST_RELOAD_MS) this.recent.delete(userId);
        else if (change.blocked) next.add(userId);
        else next.delete(userId);
      }
      this.blocked = next;
    } catch (error) {
      this.logger.warn(`could not reload blocked users: ${(error as Error).message}`);
    }
  }
}
