import { randomBytes } from 'node:crypto';
import { SecretBox } from './secret-box';

describe('SecretBox (TOTP secrets at rest)', () => {
  const box = new SecretBox(randomBytes(32));
  const secret = randomBytes(20);

  it('round-trips, with a fresh IV each time, and the plain secret nowhere in the stored text', () => {
    const a = box.seal(secret, 'user-1');
    const b = box.seal(secret, 'user-1');
    expect(a).not.toBe(b);
    expect(box.open(a, 'user-1').equals(secret)).toBe(true);
    expect(a).not.toContain(secret.toString('base64url'));
    expect(a).not.toContain(secret.toString('hex'));
  });

  it('refuses another key, another user and a tampered text', () => {
    const sealed = box.seal(secret, 'user-1');
    expect(() => new SecretBox(randomBytes(32)).open(sealed, 'user-1')).toThrow();
    expect(() => box.open(sealed, 'user-2')).toThrow();
    const parts = sealed.split('.');
    const body = Buffer.from(parts[2], 'base64url');
    body[0] ^= 1;
    parts[2] = body.toString('base64url');
    expect(() => box.open(parts.join('.'), 'user-1')).toThrow();
  });
});
