import { base32Decode, base32Encode, hotp, matchingStep, otpauthUrl, timeStep } from './totp';

/** RFC 6238 Appendix B, the SHA-1 rows: the ASCII seed "12345678901234567890", 8 digits. */
const SEED = Buffer.from('12345678901234567890', 'ascii');
const VECTORS: Array<[number, string]> = [
  [59, '94287082'],
  [1111111109, '07081804'],
  [1111111111, '14050471'],
  [1234567890, '89005924'],
  [2000000000, '69279037'],
  [20000000000, '65353130'],
];

describe('TOTP (RFC 6238)', () => {
  it.each(VECTORS)('matches the RFC test vector at T=%d', (seconds, code) => {
    expect(hotp(SEED, timeStep(seconds * 1000), 8)).toBe(code);
    // 6 digits are the last 6 of the same truncation
    expect(hotp(SEED, timeStep(seconds * 1000))).toBe(code.slice(-6));
  });

  it('matches RFC 4226 Appendix D (HOTP) for counters 0 and 9', () => {
    expect(hotp(SEED, 0)).toBe('755224');
    expect(hotp(SEED, 9)).toBe('520489');
  });

  it('accepts one step of drift either way, not two', () => {
    const now = 1111111111 * 1000;
    const step = timeStep(now);
    for (const delta of [-1, 0, 1]) expect(matchingStep(SEED, hotp(SEED, step + delta), now)).toBe(step + delta);
    for (const delta of [-2, 2]) expect(matchingStep(SEED, hotp(SEED, step + delta), now)).toBeNull();
    expect(matchingStep(SEED, ' ' + hotp(SEED, step) + ' ', now)).toBe(step);
    expect(matchingStep(SEED, '12345', now)).toBeNull();
  });

  it('round-trips base32 (RFC 4648 test vectors)', () => {
    expect(base32Encode(Buffer.from('foobar'))).toBe('MZXW6YTBOI');
    expect(base32Encode(Buffer.from('fooba'))).toBe('MZXW6YTB');
    expect(base32Decode('MZXW6YTBOI======').toString()).toBe('foobar');
    expect(base32Encode(SEED)).toBe('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ');
    expect(() => base32Decode('not base32!')).toThrow();
  });

  it('builds an otpauth URL with the same secret', () => {
    const url = new URL(otpauthUrl('GEZDGNBVGY3TQOJQ', 'Parley', 'ada@example.com'));
    expect(url.protocol).toBe('otpauth:');
    expect(url.searchParams.get('secret')).toBe('GEZDGNBVGY3TQOJQ');
    expect(url.searchParams.get('digits')).toBe('6');
    expect(url.searchParams.get('period')).toBe('30');
    expect(url.host).toBe('totp');
    expect(decodeURIComponent(url.pathname)).toBe('/Parley:ada@example.com');
  });
});
