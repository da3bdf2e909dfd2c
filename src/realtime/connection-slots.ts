import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { RedisService } from '../redis/redis.service';

/** A slot lives this long without a heartbeat: how long a dead node's sockets keep counting. */
export const SLOT_TTL_MS = 30_000;
const HEARTBEAT_MS = 10_000;

/**
 * Drops expired slots, then adds this one only if fewer than the cap remain: one atomic step
 * in Redis, so concurrent handshakes on any number of nodes cannot all pass the check.
 * KEYS[1] the user's set; ARGV now, expiry, cap, socket id, key ttl.
 */
const RESERVE = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return 1`;

/**
 * WS_MAX_CONNECTIONS_PER_USER as reservations (finding 6): with Redis, a sorted set per user and
 * namespace of socket ids scored by expiry, refreshed by each node's heartbeat for its own
 * sockets, removed on disconnect, and expiring by themselves when a node dies (SLOT_TTL_MS);
 * without Redis (or while it is down), this node's own count, checked and taken in one step.
 */
@Injectable()
export class ConnectionSlots implements OnModuleDestroy {
  private readonly logger = new Logger(ConnectionSlots.name);
  /** `namespace|userId` → ids of the sockets holding a slot on this node */
  private readonly held = new Map<string, Set<string>>();
  /** Redis keys → socket ids given back here whose ZREM has not been confirmed yet → when given back */
  private readonly unreleased = new Map<string, Map<string, number>>();
  private readonly heartbeat: NodeJS.Timeout | null = null;

  constructor(
    private readonly config: AppConfig,
    @Inject(RedisService) private readonly redis: RedisService | null,
  ) {
    if (!redis) return;
    this.heartbeat = setInterval(() => void this.refresh(), HEARTBEAT_MS).unref();
    redis.onRecovered(() => void this.refresh());
  }

  onModuleDestroy(): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
  }

  /** Takes a slot for the socket; false when the user already holds the cap in this namespace. */
  async reserve(namespace: string, userId: string, socketId: string): Promise<boolean> {
    const key = `${namespace}|${userId}`;
    const max = this.config.wsMaxConnectionsPerUser;
    if (this.redis?.available) {
      try {
        const now = Date.now();
        const ok = await this.redis.command.eval(RESERVE, 1, this.redisKey(key), now, now + SLOT_TTL_MS, max, socketId, SLOT_TTL_MS);
        if (ok !== 1) return false;
        // looked up after the await: concurrent handshakes of one user share the set
        this.hold(key, socketId);
        return true;
      } catch (error) {
        this.logger.warn(`slot reservation fell back to this node: ${(error as Error).message}`);
      }
    }
    if ((this.held.get(key)?.size ?? 0) >= max) return false;
    this.hold(key, socketId);
    return true;
  }

  private hold(key: string, socketId: string): void {
    const mine = this.held.get(key);
    if (mine) mine.add(socketId);
    else this.held.set(key, new Set([socketId]));
  }

  /** Gives the slot back (idempotent). */
  release(namespace: string, userId: string, socketId: string): void {
    const key = `${namespace}|${userId}`;
    const mine = this.held.get(key);
    if (!mine?.delete(socketId)) return;
    if (mine.size === 0) this.held.delete(key);
    // Sent even while Redis looks down (a late ping under load is not an outage); a ZREM that
    // fails is retried until it lands, or the slot would count against the user until it expires.
    if (this.redis) this.forget(this.redisKey(key), new Map([[socketId, Date.now()]]));
  }

  private forget(redisKey: string, ids: Map<string, number>): void {
    this.redis!.command.zrem(redisKey, ...ids.keys()).catch(() => {
      const pending = this.unreleased.get(redisKey) ?? new Map<string, number>();
      for (const [id, at] of ids) pending.set(id, at);
      this.unreleased.set(redisKey, pending);
    });
  }

  /**
   * Pushes the expiry of this node's slots forward, retries the releases Redis missed, and
   * restores the slots after a Redis outage.
   */
  private async refresh(): Promise<void> {
    if (!this.redis?.available) return;
    const retries = [...this.unreleased];
    this.unreleased.clear();
    // A slot given back longer ago than its TTL has expired in Redis by itself (no heartbeat
    // refreshed it since): dropping it bounds what a long outage keeps here.
    const expired = Date.now() - SLOT_TTL_MS;
    for (const [redisKey, ids] of retries) {
      for (const [id, at] of ids) if (at < expired) ids.delete(id);
      if (ids.size > 0) this.forget(redisKey, ids);
    }
    if (this.held.size === 0) return;
    const expiry = Date.now() + SLOT_TTL_MS;
    const pipeline = this.redis.command.pipeline();
    for (const [key, ids] of this.held) {
      const redisKey = this.redisKey(key);
      for (const id of ids) pipeline.zadd(redisKey, expiry, id);
      pipeline.pexpire(redisKey, SLOT_TTL_MS);
    }
    await pipeline.exec().catch(() => undefined);
  }

  private redisKey(key: string): string {
    return this.redis!.key(`ws-slots:${key}`);
  }
}
