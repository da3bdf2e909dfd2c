import { Logger as NestLogger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import helmet from 'helmet';
import { Logger } from 'nestjs-pino';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { createAdapter } from '@socket.io/redis-adapter';
import { AppModule } from './app.module';
import { setupApiDocuments } from './docs/api-documents';
import { MetricsService } from './metrics/metrics.service';
import { RedisService } from './redis/redis.service';
import { AppConfig } from './config/app-config';
import { AppConfigOptions } from './config/config.module';
import { compileTrust } from './common/client-ip';
import { isOriginAllowed } from './realtime/origin-policy';
import { ParleyIoAdapter } from './realtime/parley-io.adapter';

export const CLIENT_DIST = resolve(__dirname, '..', 'client-demo', 'dist');

/** Builds the whole application (not listening yet). Used by main.ts and the e2e tests. */
export async function createApp(options: AppConfigOptions = {}): Promise<NestExpressApplication> {
  // Built before Nest starts: a configuration error then reaches main.ts as a plain message
  // instead of being logged with a stack trace by Nest's exception zone.
  const root = AppModule.forRoot(options);
  const app = await NestFactory.create<NestExpressApplication>(root, {
    bufferLogs: true,
    bodyParser: false,
    abortOnError: false,
  });
  app.useLogger(app.get(Logger));
  const config = app.get(AppConfig);

  // One function for Express's req.ip and the Socket.IO handshake (src/common/client-ip.ts).
  app.set('trust proxy', compileTrust(config.trustProxy));
  app.disable('x-powered-by');
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
    allowedHeaders: ['Authorization', 'Content-Type'],
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

  setupApiDocuments(app);

  app.enableShutdownHooks();
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
