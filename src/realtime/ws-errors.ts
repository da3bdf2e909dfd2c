import { Logger } from '@nestjs/common';
import { AppError, asUnavailable, describeCause, ErrorCode } from '../common/errors';
import type { AckError, AckErrorCode, HandshakeErrorCode } from '../protocol';

export type WsErrorBody<C extends string = AckErrorCode> = AckError<C>;

const EVENT_CODES: Record<ErrorCode, AckErrorCode> = {
  VALIDATION_FAILED: 'VALIDATION_FAILED',
  INVALID_CREDENTIALS: 'VALIDATION_FAILED',
  TOKEN_MISSING: 'VALIDATION_FAILED',
  TOKEN_INVALID: 'VALIDATION_FAILED',
  TOKEN_EXPIRED: 'TOKEN_EXPIRED',
  SESSION_REVOKED: 'SESSION_REVOKED',
  EMAIL_NOT_VERIFIED: 'FORBIDDEN',
  FORBIDDEN: 'FORBIDDEN',
  ORIGIN_NOT_ALLOWED: 'FORBIDDEN',
  NOT_FOUND: 'NOT_FOUND',
  CONFLICT: 'VALIDATION_FAILED',
  RATE_LIMITED: 'RATE_LIMITED',
  TOO_MANY_CONNECTIONS: 'RATE_LIMITED',
  LIMIT_EXCEEDED: 'LIMIT_EXCEEDED',
  UNAVAILABLE: 'INTERNAL',
};

const HANDSHAKE_CODES: Record<ErrorCode, HandshakeErrorCode> = {
  VALIDATION_FAILED: 'TOKEN_INVALID',
  INVALID_CREDENTIALS: 'TOKEN_INVALID',
  TOKEN_MISSING: 'TOKEN_MISSING',
  TOKEN_INVALID: 'TOKEN_INVALID',
  TOKEN_EXPIRED: 'TOKEN_EXPIRED',
  SESSION_REVOKED: 'SESSION_REVOKED',
  EMAIL_NOT_VERIFIED: 'EMAIL_NOT_VERIFIED',
  FORBIDDEN: 'FORBIDDEN',
  ORIGIN_NOT_ALLOWED: 'ORIGIN_NOT_ALLOWED',
  NOT_FOUND: 'TOKEN_INVALID',
  CONFLICT: 'TOKEN_INVALID',
  RATE_LIMITED: 'RATE_LIMITED',
  TOO_MANY_CONNECTIONS: 'TOO_MANY_CONNECTIONS',
  LIMIT_EXCEEDED: 'TOO_MANY_CONNECTIONS',
  UNAVAILABLE: 'INTERNAL',
};

const logger = new Logger('WsErrors');

/** A dependency's outage is expected, not a bug: one warning line, no stack. */
function unavailableOrSelf(error: unknown): unknown {
  const unavailable = asUnavailable(error);
  if (!unavailable) return error;
  logger.warn(`Answered INTERNAL (unavailable): ${describeCause(error)}`);
  return unavailable;
}

/**
 * Our messages only: a validation error lists the failing fields, never the values sent,
 * and an unexpected error becomes INTERNAL (logged here, not sent).
 */
export function toWsError(error: unknown): WsErrorBody {
  error = unavailableOrSelf(error);
  if (error instanceof AppError) {
    const message = error.details?.length ? error.details.join('; ') : error.message;
    return { code: EVENT_CODES[error.code], message };
  }
  logger.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
  return { code: 'INTERNAL', message: 'Internal server error' };
}

export function toHandshakeError(error: unknown): WsErrorBody<HandshakeErrorCode> {
  error = unavailableOrSelf(error);
  if (error instanceof AppError) return { code: HANDSHAKE_CODES[error.code], message: error.message };
  logger.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
  return { code: 'INTERNAL', message: 'Internal server error; try again' };
}
