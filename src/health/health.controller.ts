import { Controller, Get, Inject, ServiceUnavailableException } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import {
  HealthCheckResult,
  HealthCheckService,
  HealthIndicatorFunction,
  HealthIndicatorService,
  TypeOrmHealthIndicator,
} from '@nestjs/terminus';
import { RedisService } from '../redis/redis.service';
import { Public } from '../common/route-metadata';

@ApiTags('operations')
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly db: TypeOrmHealthIndicator,
    private readonly indicator: HealthIndicatorService,
    @Inject(RedisService) private readonly redis: RedisService | null,
  ) {}

  @Public()
  @Get()
  @ApiOperation({ summary: 'Readiness: the database (and Redis) answer' })
  @ApiOkResponse({ description: 'The database (and Redis, when configured) answer' })
  @ApiServiceUnavailableResponse({ description: 'A dependency is down; `details` says which' })
  async check(): Promise<HealthCheckResult> {
    const checks: HealthIndicatorFunction[] = [() => this.db.pingCheck('database', { timeout: 2000 })];
    const redis = this.redis;
    if (redis) {
      checks.push(async () => {
        const check = this.indicator.check('redis');
        return redis.ping(1000).then(
          () => check.up(),
          (error: Error) => check.down({ message: error.message }),
        );
      });
    }
    try {
      return await this.health.check(checks);
    } catch (error) {
      const result = (error as { response?: HealthCheckResult }).response;
      const down = Object.keys(result?.error ?? {});
      throw new ServiceUnavailableException({
        statusCode: 503,
        message: `Unhealthy: ${down.join(', ') || 'unknown'}`,
        error: 'Service Unavailable',
        details: result?.details ?? {},
      });
    }
  }
}
