import type { AckErrorCode, HandshakeErrorCode, HttpError } from '../../../src/protocol';
import { ACK_ERROR_CODES, HANDSHAKE_ERROR_CODES } from '../../../src/protocol/errors';

/**
 * Codes the SDK itself gives: no answer in time (`TIMEOUT`), the link dropped before the answer
 * (`DISCONNECTED`), the client or connection is closed or signed out (`CLOSED`), a REST call
 * could not reach the server (`NETWORK`).
 */
export type ClientErrorCode = 'TIMEOUT' | 'DISCONNECTED' | 'CLOSED' | 'NETWORK';

/** Every error the SDK throws or reports. `code` is the contract's code where the server gave one. */
export class ParleyError extends Error {
  constructor(
    readonly code: AckErrorCode | HandshakeErrorCode | ClientErrorCode | 'HTTP',
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** A refused event: `{ ok: false, error: { code, message } }` of an acknowledgement, or no answer. */
export class ParleyAckError extends ParleyError {
  constructor(
    override readonly code: AckErrorCode | ClientErrorCode,
    message: string,
    readonly event: string,
  ) {
    super(code, message);
  }
}

/** A refused Socket.IO handshake (`connect_error` with `data.code`). */
export class ParleyHandshakeError extends ParleyError {
  constructor(
    override readonly code: HandshakeErrorCode,
    message: string,
  ) {
    super(code, message);
  }
}

/** A REST error: the server's `{ statusCode, message, error }`. */
export class ParleyHttpError extends ParleyError {
  constructor(
    readonly status: number,
    readonly body: HttpError,
  ) {
    super('HTTP', Array.isArray(body.message) ? body.message.join('; ') : body.message);
  }
}

export const isAckErrorCode = (code: unknown): code is AckErrorCode => (ACK_ERROR_CODES as readonly unknown[]).includes(code);
export const isHandshakeErrorCode = (code: unknown): code is HandshakeErrorCode => (HANDSHAKE_ERROR_CODES as readonly unknown[]).includes(code);

/** An ack error worth sending again (same clientMsgId): the server or the link failed, not the request. */
export const isRetryable = (code: ParleyError['code']): boolean =>
  code === 'INTERNAL' || code === 'TIMEOUT' || code === 'DISCONNECTED' || code === 'RATE_LIMITED';
