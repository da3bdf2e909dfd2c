import { randomFillSync } from 'node:crypto';
import { monotonicFactory } from 'ulid';

/**
 * ulid's default source asks the OS for one random byte per character (16 calls per id);
 * this draws from a pooled buffer refilled 4 KiB at a time: same CSPRNG, far fewer calls.
 */
const pool = Buffer.alloc(4096);
let offset = pool.length;
function pooledRandom(): number {
  if (offset === pool.length) {
    randomFillSync(pool);
    offset = 0;
  }
  return pool[offset++] / 0x100;
}

const ulid = monotonicFactory(pooledRandom);

/**
 * New opaque id: a ULID (26 chars, Crockford base32). Lexicographic order is creation
 * order (monotonic within a process), so message ids double as history cursors and
 * `(room, id)` range scans replace timestamp sorting.
 */
export function newId(): string {
  return ulid();
}

export const ID_PATTERN = /^[0-9A-HJKMNP-TV-Z]{26}$/;
