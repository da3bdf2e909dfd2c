/** Error codes, revoke reasons and error shapes of the contract (API.md). */

/** `{ ok: false, error: { code } }` in an event acknowledgement, or the `exception` event. */
export const ACK_ERROR_CODES = [
  'VALIDATION_FAILED',
  'FORBIDDEN',
  'NOT_FOUND',
  'RATE_LIMITED',
  'TOKEN_EXPIRED',
  'SESSION_REVOKED',
  'LIMIT_EXCEEDED',
  'INTERNAL',
] as const;
export type AckErrorCode = (typeof ACK_ERROR_CODES)[number];

/** `connect_error` `data.code` of a refused handshake (`INTERNAL` when the server itself failed). */
export const HANDSHAKE_ERROR_CODES = [
  'TOKEN_MISSING',
  'TOKEN_INVALID',
  'TOKEN_EXPIRED',
  'SESSION_REVOKED',
  'EMAIL_NOT_VERIFIED',
  'FORBIDDEN',
  'ORIGIN_NOT_ALLOWED',
  'RATE_LIMITED',
  'TOO_MANY_CONNECTIONS',
  'INTERNAL',
] as const;
export type HandshakeErrorCode = (typeof HANDSHAKE_ERROR_CODES)[number];

/** `session:revoked { reason }`: exactly these. */
export const REVOKE_REASONS = [
  'logout',
  'logout_all',
  'password_changed',
  'password_reset',
  'refresh_reuse',
  'session_deleted',
  'blocked',
  'two_factor_changed',
] as const;
export type RevokeReason = (typeof REVOKE_REASONS)[number];

/** `room:removed { reason }`. */
export const ROOM_REMOVED_REASONS = ['left', 'removed', 'banned'] as const;
export type RoomRemovedReason = (typeof ROOM_REMOVED_REASONS)[number];

/** `channel:unsubscribed { reason }`: the token brought by `auth:refresh` may no longer read it. */
export const CHANNEL_UNSUBSCRIBED_REASONS = ['forbidden'] as const;
export type ChannelUnsubscribedReason = (typeof CHANNEL_UNSUBSCRIBED_REASONS)[number];

export interface AckError<C extends string = AckErrorCode> {
  code: C;
  message: string;
}

/** Every acknowledgement. */
export type Ack<T> = { ok: true; data: T } | { ok: false; error: AckError };

/** A refused handshake's `connect_error.data`. */
export type HandshakeError = AckError<HandshakeErrorCode>;

/** Every REST error, whatever its status: Nest's shape (all three present). */
export interface HttpError {
  statusCode: number;
  /** One message, or every failing field of a validation error. */
  message: string | string[];
  error: string;
}
