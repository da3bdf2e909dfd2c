import { Global, Logger, Module } from '@nestjs/common';
import { waitForDependency } from '../startup/wait-for';
import { AppConfig } from '../config/app-config';
import { MetricsService } from '../metrics/metrics.service';
import { RedisService } from './redis.service';

/** Start-up waits (STARTUP_TIMEOUT) for Redis to answer a ping; ioredis reconnects meanwhile. */
async function connectedRedis(config: AppConfig, metrics: MetricsService): Promise<RedisService> {
  const redis = new RedisService(config, metrics);
  const logger = new Logger('Redis');
  try {
    await waitForDependency('Redis', () => redis.ping(1000), {
      timeoutMs: config.startupTimeoutMs,
      retryable: () => true,
      log: (line) => logger.warn(line),
    });
  } catch (error) {
    await redis.onApplicationShutdown();
    throw error;
  }
  return redis;
}

/** `RedisService` when REDIS_URL is set, `null` otherwise (single node, everything in memory). */
@Global()
@Module({
  providers: [
    {
      provide: RedisService,
      inject: [AppConfig, MetricsService],
      useFactory: (config: AppConfig, metrics: MetricsService) => (config.redisUrl ? connectedRedis(config, metrics) : null),
    },
  ],
  exports: [RedisService],
})
export class RedisModule {}
