import { createHmac } from 'node:crypto';
import { signatureHeader } from './signature';

describe('signatureHeader', () => {
  it('is t=<seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">', () => {
    const secret = 's'.repeat(32);
    const body = '{"id":"x","type":"user.online"}';
    const header = signatureHeader(secret, body, 1_700_000_000);
    const [t, v1] = header.split(',').map((part) => part.split('=')[1]);
    expect(t).toBe('1700000000');
    expect(v1).toBe(createHmac('sha256', secret).update(`1700000000.${body}`).digest('hex'));
    expect(signatureHeader(secret, body, 1_700_000_001)).not.toBe(header);
  });
});
