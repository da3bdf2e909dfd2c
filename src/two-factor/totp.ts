import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** RFC 6238 with the parameters API.md fixes: HMAC-SHA-1, 6 digits, 30 s steps, ±1 step. */
export const TOTP = { digits: 6, stepSeconds: 30, drift: 1, secretBytes: 20 } as const;

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** RFC 4648 base32, upper case, without padding (what authenticator apps expect). */
export function base32Encode(bytes: Buffer): string {
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32[(value << (5 - bits)) & 31];
  return out;
}

export function base32Decode(text: string): Buffer {
  const clean = text.replace(/=+$/, '').replace(/\s/g, '').toUpperCase();
  let bits = 0;
  let value = 0;
  const out: number[] = [];
  for (const char of clean) {
    const index = BASE32.indexOf(char);
    if (index < 0) throw new Error('not base32');
    value = (value << 5) | index;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 255);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

export const newTotpSecret = (): Buffer => randomBytes(TOTP.secretBytes);

/** The time step of a moment (ms since epoch). */
export const timeStep = (nowMs: number): number => Math.floor(nowMs / 1000 / TOTP.stepSeconds);

/** HOTP (RFC 4226) of one counter value: dynamic truncation, then `digits` decimal digits. */
export function hotp(secret: Buffer, counter: number, digits: number = TOTP.digits): string {
  const message = Buffer.alloc(8);
  message.writeBigUInt64BE(BigInt(counter));
  const mac = createHmac('sha1', secret).update(message).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  const binary = mac.readUInt32BE(offset) & 0x7fffffff;
  return String(binary % 10 ** digits).padStart(digits, '0');
}

/**
 * The step whose code `code` is, within ±drift of now, or null. Every candidate is compared
 * (in constant time), so the answer's timing says nothing about which step matched.
 */
export function matchingStep(secret: Buffer, code: string, nowMs: number): number | null {
  const presented = Buffer.from(code.trim());
  const now = timeStep(nowMs);
  let found: number | null = null;
  for (let step = now - TOTP.drift; step <= now + TOTP.drift; step++) {
    const expected = Buffer.from(hotp(secret, step));
    if (expected.length === presented.length && timingSafeEqual(expected, presented) && found === null) found = step;
  }
  return found;
}

/** The `otpauth://` URL authenticator apps read (Key Uri Format), issuer and account escaped. */
export function otpauthUrl(secretBase32: string, issuer: string, account: string): string {
  const label = `${encodeURIComponent(issuer)}:${encodeURIComponent(account)}`;
  const params = new URLSearchParams({
    secret: secretBase32,
    issuer,
    algorithm: 'SHA1',
    digits: String(TOTP.digits),
    period: String(TOTP.stepSeconds),
  });
  return `otpauth://totp/${label}?${params.toString()}`;
}
