import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { Logger, Params, PinoLogger } from 'nestjs-pino';
import pino, { Logger as PinoInstance } from 'pino';
import { HttpLogger, pinoHttp } from 'pino-http';
import { AppConfig } from '../config/app-config';
import { requestIdFrom } from './request-id';

const SENSITIVE_QUERY = /([?&](?:token|access_token|refresh_token|password|code|key)=)[^&]*/gi;

/** Paths are logged with secret-looking query values masked. */
export const safeUrl = (url: string | undefined) => (url ?? '').replace(SENSITIVE_QUERY, '$1[REDACTED]');

/**
 * The app's one pino instance, made from the configuration before Nest starts, so that
 * start-up itself (waiting for the database, a failure) already logs in the final format.
 * Nest's logger and the request log both write through it.
 */
export function createRootLogger(config: Pick<AppConfig, 'logLevel' | 'nodeEnv' | 'nodeId'>): PinoInstance {
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
 * Nest's logger over the root pino instance. nestjs-pino's LoggerModule is not used: its
 * request middleware binds each request's logger through AsyncLocalStorage, which on Node 20
 * puts hooks on every promise in the process — under socket fan-out that cost about a tenth of
 * the server's CPU per delivered message. What a request logs itself goes through `req.log`
 * (HttpExceptionFilter), which carries its id.
 */
export function nestLogger(root: PinoInstance): Logger {
  const params: Params = { pinoHttp: { logger: root } };
  return new Logger(new PinoLogger(params), params);
}

/** Probes and scrapes would drown the request log. */
const UNLOGGED_PATHS = new Set(['/health', '/health/live', '/health/ready', '/metrics']);

/** What pino's request serializer hands over: a copy, with the original request as `raw`. */
interface SerializedRequest {
  method?: string;
  url?: string;
  headers: IncomingHttpHeaders;
  raw: IncomingMessage & { ip?: string };
}

/**
 * One line per HTTP request, when its answer is sent, with its id (incoming `X-Request-Id` or a
 * new UUID, returned as `X-Request-Id`), the client IP as Express derives it (`req.ip`, per
 * TRUST_PROXY) and the status — never the headers. Mounted ahead of every other middleware, so
 * requests refused by the body parser or the router are logged too.
 */
export function requestLog(root: PinoInstance): HttpLogger {
  return pinoHttp({
    logger: root,
    quietReqLogger: true,
    genReqId: (req: IncomingMessage, res: ServerResponse) => {
      const id = requestIdFrom(req.headers['x-request-id']);
      res.setHeader('X-Request-Id', id);
      return id;
    },
    serializers: {
      req: (req: SerializedRequest) => ({
        method: req.method,
        url: safeUrl(req.url),
        ip: req.raw.ip,
        userAgent: req.headers['user-agent'],
      }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
    },
    customLogLevel: (_req: IncomingMessage, res: ServerResponse, error?: Error) => (error || res.statusCode >= 500 ? 'error' : 'info'),
    autoLogging: { ignore: (req: IncomingMessage) => UNLOGGED_PATHS.has((req.url ?? '').split('?')[0]) },
  });
}
