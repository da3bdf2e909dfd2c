/**
 * Every failure a service can report, independent of transport. The REST filter and the
 * WS filter each map these codes exhaustively (a new code fails to compile until both do).
 */
export type ErrorCode =
  | 'VALIDATION_FAILED'
  | 'INVALID_CREDENTIALS'
  | 'TOKEN_MISSING'
  | 'TOKEN_INVALID'
  | 'TOKEN_EXPIRED'
  | 'SESSION_REVOKED'
  | 'EMAIL_NOT_VERIFIED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'RATE_LIMITED'
  | 'ORIGIN_NOT_ALLOWED'
  | 'TOO_MANY_CONNECTIONS'
  | 'UNAVAILABLE';

export class AppError extends Error {
  override readonly name = 'AppError';

  constructor(
    readonly code: ErrorCode,
    message: string,
    /** Extra detail safe to show the client (e.g. the list of failing fields). */
    readonly details?: readonly string[],
  ) {
    super(message);
  }
}

export const isAppError = (error: unknown): error is AppError => error instanceof AppError;
