import { Global, Module } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { MetricsService } from '../metrics/metrics.service';
import { ClusterBus, LocalClusterBus, RedisClusterBus } from './cluster-bus';
import { RedisService } from './redis.service';

/** `RedisService` when REDIS_URL is set, `null` otherwise (single node, everything in memory). */
@Global()
@Module({
  providers: [
    {
      provide: RedisService,
      inject: [AppConfig, MetricsService],
      useFactory: (config: AppConfig, metrics: MetricsService) => (config.redisUrl ? new RedisService(config, metrics) : null),
    },
    {
      provide: ClusterBus,
      inject: [RedisService],
      useFactory: (redis: RedisService | null): ClusterBus => (redis ? new RedisClusterBus(redis) : new LocalClusterBus()),
    },
  ],
  exports: [RedisService, ClusterBus],
})
export class RedisModule {}
