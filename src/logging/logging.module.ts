import { Module } from '@nestjs/common';
import type { IncomingMessage } from 'node:http';
import { LoggerModule } from 'nestjs-pino';
import { AppConfig } from '../config/app-config';

const SENSITIVE_QUERY = /([?&](?:token|access_token|refresh_token|password|code|key)=)[^&]*/gi;

/** Paths are logged with secret-looking query values masked. */
export const safeUrl = (url: string | undefined) => (url ?? '').replace(SENSITIVE_QUERY, '$1[REDACTED]');

@Module({
  imports: [
    LoggerModule.forRootAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig) => ({
        pinoHttp: {
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
          serializers: {
            req: (req: IncomingMessage & { id?: unknown }) => ({
              id: req.id,
              method: req.method,
              url: safeUrl(req.url),
              userAgent: req.headers['user-agent'],
            }),
          },
          autoLogging: { ignore: (req: IncomingMessage) => req.url === '/health' || req.url === '/metrics' },
        },
      }),
    }),
  ],
})
export class LoggingModule {}
