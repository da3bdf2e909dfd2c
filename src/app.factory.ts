import { Logger as NestLogger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import helmet from 'helmet';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { createAdapter } from '@socket.io/redis-adapter';
import { AppModule } from './app.module';
import { setupApiDocuments } from './docs/api-documents';
import { MetricsService } from './metrics/metrics.service';
import { RedisService } from './redis/redis.service';
import type { Logger as PinoInstance } from 'pino';
import { AppConfig } from './config/app-config';
import { AppConfigOptions, loadConfig } from './config/config.module';
import { createRootLogger, nestLogger, requestLog } from './logging/logging';
import { compileTrust } from './common/client-ip';
import { isOriginAllowed } from './realtime/origin-policy';
import { ParleyIoAdapter } from './realtime/parley-io.adapter';

export const CLIENT_DIST = resolve(__dirname, '..', 'client-demo', 'dist');

/** What the app is made from: the validated configuration and the root logger. */
export interface Boot {
  config: AppConfig;
  logger: PinoInstance;
}

/**
 * Loads the configuration and makes the logger, before Nest starts: a configuration error
 * then reaches main.ts as a plain message instead of being logged by Nest's exception zone,
 * and start-up (waiting for dependencies) already logs in the final format.
 */
export async function boot(options: AppConfigOptions = {}): Promise<Boot> {
  const config = await loadConfig(options);
  return { config, logger: createRootLogger(config) };
}

/** Builds the whole application (not listening yet). Used by the e2e tests. */
export async function createApp(options: AppConfigOptions = {}): Promise<NestExpressApplication> {
  return createAppFrom(await boot(options));
}

/** Builds the whole application from a boot (not listening yet). Used by main.ts. */
export async function createAppFrom({ config, logger }: Boot): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config), {
    logger: nestLogger(logger),
    bodyParser: false,
    abortOnError: false,
  });

  // One function for Express's req.ip and the Socket.IO handshake (src/common/client-ip.ts).
  app.set('trust proxy', compileTrust(config.trustProxy));
  app.disable('x-powered-by');
  // First of all: every request that reaches Express gets an id and one log line, even one
  // refused by the body parser or the router.
  app.use(requestLog(logger));
  app.use(
    helmet({
      contentSecurityPolicy: {
        directives: {
          // The demo client talks to this origin over fetch and WebSocket ('self' covers ws/wss of
          // this host); bare `ws: wss:` would let an injected script reach any host.
          'connect-src': connectSources(config),
          'img-src': ["'self'", 'data:'],
        },
      },
    }),
  );
  app.enableCors({
    origin: (origin, callback) => callback(null, origin !== undefined && isOriginAllowed(config, origin, null)),
    methods: ['GET', 'POST', 'PATCH', 'DELETE'],
    allowedHeaders: ['Authorization', 'Content-Type', 'X-Request-Id'],
    // Browsers may read the request id (to quote it in a bug report) and when to retry a 503.
    exposedHeaders: ['X-Request-Id', 'Retry-After'],
    maxAge: 600,
  });
  const ioAdapter = new ParleyIoAdapter(app, config, app.get(MetricsService));
  const redis = app.get(RedisService, { strict: false });
  if (redis) {
    // Broadcasts, identity-room emits, fetchSockets and disconnectSockets reach every node.
    const [pub, sub] = redis.adapterClients();
    // A node that does not answer a cross-node query within 2 s is left out of the answer.
    ioAdapter.useAdapter(createAdapter(pub, sub, { key: redis.key('socket.io'), requestsTimeout: 2000 }));
  }
  app.useWebSocketAdapter(ioAdapter);

  if (existsSync(CLIENT_DIST)) {
    app.useStaticAssets(CLIENT_DIST, { index: 'index.html', maxAge: '1h' });
  } else {
    new NestLogger('Bootstrap').warn(`Demo client not built (${CLIENT_DIST} missing): run npm run build`);
  }

  if (config.docsEnabled) setupApiDocuments(app);
  // Signals are handled by main.ts (readiness drains for SHUTDOWN_GRACE before app.close()).
  return app;
}

/** `'self'` plus each configured CORS origin and its WebSocket twin (http→ws, https→wss). */
function connectSources(config: AppConfig): string[] {
  const sources = ["'self'"];
  for (const origin of config.corsOrigins ?? []) {
    if (origin === '*') continue;
    sources.push(origin, origin.replace(/^http/, 'ws'));
  }
  return sources;
}
