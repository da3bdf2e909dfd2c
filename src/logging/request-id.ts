import { randomUUID } from 'node:crypto';

/** What an incoming X-Request-Id may be: short, and safe to put in a log line or a header. */
const VALID_REQUEST_ID = /^[A-Za-z0-9._-]{1,128}$/;

/**
 * The id of a request (or a socket handshake): the caller's `X-Request-Id` when it is valid
 * (so one id follows a request from the proxy through every node), otherwise a new UUID.
 */
export function requestIdFrom(header: string | string[] | undefined): string {
  const given = Array.isArray(header) ? header[0] : header;
  return given !== undefined && VALID_REQUEST_ID.test(given) ? given : randomUUID();
}
