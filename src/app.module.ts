import { DynamicModule, MiddlewareConsumer, Module, NestModule, RequestMethod } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { AuthModule } from './auth/auth.module';
import { ChatModule } from './chat/chat.module';
import { HttpExceptionFilter } from './common/http-exception.filter';
import { JsonBodyMiddleware } from './common/json-body.middleware';
import { AppConfig } from './config/app-config';
import { AppConfigModule } from './config/config.module';
import { DashboardModule } from './dashboard/dashboard.module';
import { DatabaseModule } from './database/database.module';
import { HealthModule } from './health/health.module';
import { LiveModule } from './live/live.module';
import { HttpMetricsMiddleware } from './metrics/http-metrics.middleware';
import { MetricsModule } from './metrics/metrics.module';
import { RealtimeModule } from './realtime/realtime.module';
import { RedisModule } from './redis/redis.module';
import { ServerApiModule } from './server-api/server-api.module';
import { WebhooksModule } from './webhooks/webhooks.module';

@Module({})
export class AppModule implements NestModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        AppConfigModule.forRoot(config),
        MetricsModule,
        RedisModule,
        DatabaseModule,
        AuthModule,
        RealtimeModule,
        WebhooksModule,
        ChatModule,
        DashboardModule,
        LiveModule,
        ServerApiModule,
        HealthModule,
      ],
      providers: [{ provide: APP_FILTER, useClass: HttpExceptionFilter }],
    };
  }

  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(HttpMetricsMiddleware, JsonBodyMiddleware).forRoutes({ path: '{*path}', method: RequestMethod.ALL });
  }
}
