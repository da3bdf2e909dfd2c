import { Inject, MiddlewareConsumer, Module, NestModule, RequestMethod } from '@nestjs/common';
import type { IncomingMessage } from 'node:http';
import { Logger, Params, PinoLogger } from 'nestjs-pino';
import pino, { Logger as PinoInstance } from 'pino';
import { pinoHttp } from 'pino-http';
import { AppConfig } from '../config/app-config';

const SENSITIVE_QUERY = /([?&](?:token|access_token|refresh_token|password|code|key)=)[^&]*/gi;

/** Paths are logged with secret-looking query values masked. */
export const safeUrl = (url: string | undefined) => (url ?? '').replace(SENSITIVE_QUERY, '$1[REDACTED]');

/** The app's one pino instance: Nest's logger and the request log both write through it. */
const ROOT_LOGGER = Symbol('ROOT_LOGGER');

function createRootLogger(config: AppConfig): PinoInstance {
  return pino({
    level: config.logLevel,
    // Readable logs while developing, JSON lines in production (and wherever logs are collected).
    transport:
      config.nodeEnv === 'development' && config.logLevel !== 'silent'
        ? { target: 'pino-pretty', options: { singleLine: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' } }
        : undefined,
    base: { node: config.nodeId },
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers.cookie',
        'res.headers["set-cookie"]',
        '*.password',
        '*.currentPassword',
        '*.newPassword',
        '*.refreshToken',
        '*.accessToken',
        '*.token',
        '*.passwordHash',
      ],
      censor: '[REDACTED]',
    },
  });
}

/**
 * pino behind Nest's logger (nestjs-pino's Logger) and pino-http for one line per request.
 * nestjs-pino's LoggerModule is not used: its request middleware binds each request's logger
 * through AsyncLocalStorage, which on Node 20 puts hooks on every promise in the process —
 * under socket fan-out that cost about a tenth of the server's CPU per delivered message.
 * Errors logged while answering a request name its id instead (HttpExceptionFilter).
 */
@Module({
  providers: [
    { provide: ROOT_LOGGER, inject: [AppConfig], useFactory: createRootLogger },
    {
      provide: Logger,
      inject: [ROOT_LOGGER],
      useFactory: (logger: PinoInstance) => {
        const params: Params = { pinoHttp: { logger } };
        return new Logger(new PinoLogger(params), params);
      },
    },
  ],
  exports: [Logger],
})
export class LoggingModule implements NestModule {
  constructor(@Inject(ROOT_LOGGER) private readonly logger: PinoInstance) {}

  configure(consumer: MiddlewareConsumer): void {
    const requestLog = pinoHttp({
      logger: this.logger,
      serializers: {
        req: (req: IncomingMessage & { id?: unknown }) => ({
          id: req.id,
          method: req.method,
          url: safeUrl(req.url),
          userAgent: req.headers['user-agent'],
        }),
      },
      autoLogging: { ignore: (req: IncomingMessage) => req.url === '/health' || req.url === '/metrics' },
    });
    consumer.apply(requestLog).forRoutes({ path: '{*path}', method: RequestMethod.ALL });
  }
}
