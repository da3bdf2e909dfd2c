import { ThrottlerStorage, ThrottlerStorageService } from '@nestjs/throttler';
import { ThrottlerStorageRedisService } from '@nest-lab/throttler-storage-redis';
import { RedisService } from './redis.service';

type ThrottlerRecord = Awaited<ReturnType<ThrottlerStorage['increment']>>;

/**
 * Rate-limit counters in Redis, so the limits hold across nodes; while Redis is down, in this
 * node's memory instead. Failing open would drop the brute-force protection, failing closed
 * would refuse every login: per-node limits for the length of the outage are the middle way.
 */
export class FailoverThrottlerStorage implements ThrottlerStorage {
  private readonly shared: ThrottlerStorageRedisService;
  private readonly local = new ThrottlerStorageService();

  constructor(private readonly redis: RedisService) {
    this.shared = new ThrottlerStorageRedisService(redis.command);
  }

  async increment(key: string, ttl: number, limit: number, blockDuration: number, throttlerName: string): Promise<ThrottlerRecord> {
    if (this.redis.available) {
      try {
        return await this.shared.increment(this.redis.key(`throttle:${key}`), ttl, limit, blockDuration, throttlerName);
      } catch {
        // Redis failed mid-call: count this hit locally.
      }
    }
    return this.local.increment(key, ttl, limit, blockDuration, throttlerName);
  }
}
