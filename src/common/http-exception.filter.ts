import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import type { Response } from 'express';
import type { Logger as PinoInstance } from 'pino';
import { STATUS_CODES } from 'node:http';
import { AppError, asUnavailable, describeCause, ErrorCode } from './errors';

export interface HttpErrorBody {
  statusCode: number;
  message: string | string[];
  error: string;
  [extra: string]: unknown;
}

const HTTP_STATUS: Record<ErrorCode, number> = {
  VALIDATION_FAILED: 400,
  INVALID_CREDENTIALS: 401,
  TOKEN_MISSING: 401,
  TOKEN_INVALID: 401,
  TOKEN_EXPIRED: 401,
  SESSION_REVOKED: 401,
  EMAIL_NOT_VERIFIED: 403,
  FORBIDDEN: 403,
  ORIGIN_NOT_ALLOWED: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  RATE_LIMITED: 429,
  TOO_MANY_CONNECTIONS: 429,
  LIMIT_EXCEEDED: 409,
  UNAVAILABLE: 503,
};

const statusText = (status: number) => STATUS_CODES[status] ?? 'Error';

type ErrorLogger = Pick<Logger, 'warn' | 'error'>;

/** Errors raised by Express's body parser before any route runs. */
interface BodyParserError {
  type: string;
  status?: number;
}
const isBodyParserError = (e: unknown): e is BodyParserError =>
  typeof e === 'object' && e !== null && typeof (e as BodyParserError).type === 'string' && 'status' in e;

/**
 * Every REST error leaves in Nest's shape `{ statusCode, message, error }`, whatever threw it.
 * Unknown errors are logged and answered as a bare 500: no stack, no driver message.
 */
export function toHttpError(exception: unknown, logger: ErrorLogger): HttpErrorBody {
  const unavailable = asUnavailable(exception);
  if (unavailable) {
    logger.warn(`Answered 503: ${describeCause(exception)}`);
    exception = unavailable;
  }
  if (exception instanceof AppError) {
    const statusCode = HTTP_STATUS[exception.code];
    return { statusCode, message: exception.details ? [...exception.details] : exception.message, error: statusText(statusCode) };
  }
  if (exception instanceof HttpException) {
    const statusCode = exception.getStatus();
    const response = exception.getResponse();
    if (typeof response === 'object' && response !== null) {
      const body = response as Partial<HttpErrorBody>;
      return {
        ...body,
        statusCode,
        message: body.message ?? exception.message,
        error: typeof body.error === 'string' ? body.error : statusText(statusCode),
      };
    }
    return { statusCode, message: String(response), error: statusText(statusCode) };
  }
  if (isBodyParserError(exception)) {
    if (exception.type === 'entity.too.large') {
      return { statusCode: 413, message: 'Request body is larger than 102400 bytes', error: statusText(413) };
    }
    if (exception.type === 'entity.parse.failed') {
      return { statusCode: 400, message: 'Malformed JSON in request body', error: statusText(400) };
    }
    const statusCode = exception.status && exception.status >= 400 && exception.status < 500 ? exception.status : 400;
    return { statusCode, message: 'Unreadable request body', error: statusText(statusCode) };
  }
  logger.error(`Answered 500: ${exception instanceof Error ? (exception.stack ?? exception.message) : String(exception)}`);
  return { statusCode: HttpStatus.INTERNAL_SERVER_ERROR, message: 'Internal server error', error: statusText(500) };
}

/** Seconds a client should wait before retrying a 503. */
const RETRY_AFTER_SECONDS = '5';

@Catch()
export class HttpExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('HttpExceptionFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'http') throw exception;
    const http = host.switchToHttp();
    const response = http.getResponse<Response>();
    // The request's own logger (pino-http's, bound to its id): the error line and the
    // request's line share the id.
    const log = http.getRequest<{ log?: PinoInstance }>().log;
    const logger: ErrorLogger = log
      ? {
          warn: (message: string) => log.warn({ context: 'HttpExceptionFilter' }, message),
          error: (message: string) => log.error({ context: 'HttpExceptionFilter' }, message),
        }
      : this.logger;
    const body = toHttpError(exception, logger);
    if (response.headersSent) return;
    if (body.statusCode === 503 && !response.getHeader('Retry-After')) response.setHeader('Retry-After', RETRY_AFTER_SECONDS);
    response.status(body.statusCode).json(body);
  }
}
