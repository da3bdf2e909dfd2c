import { isDatabaseUnavailable } from '../database/errors';

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
  /** a documented cap was reached (rooms per user, reactions per message, rooms per socket…) */
  | 'LIMIT_EXCEEDED'
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

/**
 * A failure of a part Parley depends on (database cut, stalled or overloaded; Redis gone) as
 * the `UNAVAILABLE` error both filters map (REST 503, WS `INTERNAL`), or null for anything
 * else. The cause is for the log; the client only learns that it may retry.
 */
export function asUnavailable(error: unknown): AppError | null {
  if (error instanceof AppError) return null;
  const redisDown = error instanceof Error && (error.name === 'MaxRetriesPerRequestError' || error.message === 'Connection is closed.');
  if (!redisDown && !isDatabaseUnavailable(error)) return null;
  const unavailable = new AppError('UNAVAILABLE', 'A service Parley depends on is unavailable; try again shortly');
  unavailable.cause = error;
  return unavailable;
}

/** One line naming what failed, without the SQL or its parameters (they may hold user data). */
export function describeCause(error: unknown): string {
  const cause = (error as { driverError?: unknown }).driverError ?? error;
  const { code, message } = cause as { code?: unknown; message?: unknown };
  return [
    typeof code === 'string' ? code : undefined,
    error instanceof Error ? error.name : undefined,
    typeof message === 'string' ? message.split('\n')[0] : undefined,
  ]
    .filter(Boolean)
    .join(': ');
}
