import { Controller, Get, Inject, ServiceUnavailableException } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { HealthCheckResult, HealthCheckService, HealthIndicatorFunction, HealthIndicatorService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { RedisService } from '../redis/redis.service';
import { Public } from '../common/route-metadata';
import { Readiness } from './readiness';

@ApiTags('operations')
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly db: TypeOrmHealthIndicator,
    private readonly indicator: HealthIndicatorService,
    private readonly readiness: Readiness,
    @Inject(RedisService) private readonly redis: RedisService | null,
  ) {}

  /** Liveness: the process answers. Never looks at a dependency, so a database blip restarts nothing. */
  @Public()
  @Get('live')
  @ApiOperation({ summary: 'Liveness: the process answers (never looks at a dependency)' })
  @ApiOkResponse({ description: 'The process is up and its event loop answers' })
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /** Readiness. */
  @Public()
  @Get('ready')
  @ApiOperation({ summary: 'Readiness: the database (and Redis) answer, and the node is not starting or draining' })
  @ApiOkResponse({ description: 'Ready for traffic: the database (and Redis, when configured) answer' })
  @ApiServiceUnavailableResponse({ description: 'Starting, draining after SIGTERM, or a dependency is down; `message` and `details` say which' })
  ready(): Promise<HealthCheckResult> {
    return this.readinessAnswer();
  }

  /** The readiness answer under its first name, for load balancers configured with it. */
  @Public()
  @Get()
  @ApiOperation({ summary: 'Readiness (the same answer as /health/ready)' })
  @ApiOkResponse({ description: 'Ready for traffic: the database (and Redis, when configured) answer' })
  @ApiServiceUnavailableResponse({ description: 'Starting, draining after SIGTERM, or a dependency is down; `message` and `details` say which' })
  check(): Promise<HealthCheckResult> {
    return this.readinessAnswer();
  }

  private async readinessAnswer(): Promise<HealthCheckResult> {
    if (this.readiness.draining) {
      throw new ServiceUnavailableException({
        statusCode: 503,
        message: 'Draining: this node is shutting down',
        error: 'Service Unavailable',
        details: {},
      });
    }
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
