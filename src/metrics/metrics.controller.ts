import { Controller, Get, Header, Headers, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags, ApiUnauthorizedResponse } from '@nestjs/swagger';
import type { Response } from 'express';
import { Public } from '../common/route-metadata';
import { AppError } from '../common/errors';
import { AppConfig } from '../config/app-config';
import { metricsAccess } from './metrics-access';
import { MetricsService } from './metrics.service';

@ApiTags('operations')
@Controller('metrics')
export class MetricsController {
  constructor(
    private readonly metrics: MetricsService,
    private readonly config: AppConfig,
  ) {}

  /** Public to the user-token guard: METRICS_TOKEN is its own credential. */
  @Public()
  @Get()
  @ApiOperation({ summary: 'Prometheus metrics' })
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  @ApiBearerAuth()
  @ApiOkResponse({ description: 'Prometheus text format. Not served here when METRICS_PORT is set (404).' })
  @ApiUnauthorizedResponse({ description: 'METRICS_TOKEN is set and the request does not present it as a bearer token' })
  scrape(@Headers('authorization') authorization: string | undefined, @Res({ passthrough: true }) res: Response): Promise<string> {
    if (this.config.metricsPort !== null) throw new AppError('NOT_FOUND', 'Cannot GET /metrics');
    const access = metricsAccess(this.config.metricsToken, authorization);
    if (access !== 'allowed') {
      res.setHeader('WWW-Authenticate', 'Bearer realm="metrics"');
      throw new AppError(access === 'missing' ? 'TOKEN_MISSING' : 'TOKEN_INVALID', 'Metrics need the METRICS_TOKEN as a bearer token');
    }
    return this.metrics.registry.metrics();
  }
}
