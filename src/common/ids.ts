import { monotonicFactory } from 'ulid';

const ulid = monotonicFactory();

/**
 * New opaque id: a ULID (26 chars, Crockford base32). Lexicographic order is creation
 * order (monotonic within a process), so message ids double as history cursors and
 * `(room, id)` range scans replace timestamp sorting.
 */
export function newId(): string {
  return ulid();
}

export const ID_PATTERN = /^[0-9A-HJKMNP-TV-Z]{26}$/;
