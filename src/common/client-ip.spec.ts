import { addressBucket, clientIp, compileTrust } from './client-ip';

const req = (peer: string, xff?: string) =>
  ({ socket: { remoteAddress: peer }, headers: xff === undefined ? {} : { 'x-forwarded-for': xff } }) as never;

describe('clientIp (TRUST_PROXY, finding 1)', () => {
  it('ignores X-Forwarded-For when no proxy is trusted', () => {
    expect(clientIp(req('::ffff:203.0.113.9', '1.1.1.1'), compileTrust(false))).toBe('203.0.113.9');
  });

  it('with one hop, takes the rightmost entry: what the client put in front is ignored', () => {
    const trust = compileTrust(1);
    expect(clientIp(req('10.0.0.2', 'spoofed, 198.51.100.7'), trust)).toBe('198.51.100.7');
    expect(clientIp(req('10.0.0.2', '198.51.100.7'), trust)).toBe('198.51.100.7');
    expect(clientIp(req('10.0.0.2'), trust)).toBe('10.0.0.2');
  });

  it('with two hops, the second entry from the right', () => {
    expect(clientIp(req('10.0.0.2', '6.6.6.6, 198.51.100.7, 10.0.0.3'), compileTrust(2))).toBe('198.51.100.7');
  });

  it('with trusted addresses and CIDRs, the first untrusted address from the right', () => {
    const trust = compileTrust(['10.0.0.0/8', '2001:db8::1', 'loopback']);
    expect(clientIp(req('10.1.2.3', '6.6.6.6, 198.51.100.7, 10.9.9.9'), trust)).toBe('198.51.100.7');
    expect(clientIp(req('::1', '6.6.6.6, 198.51.100.7'), trust)).toBe('198.51.100.7');
    // an untrusted peer's header is not read at all
    expect(clientIp(req('203.0.113.1', '10.0.0.1'), trust)).toBe('203.0.113.1');
    expect(clientIp(req('2001:db8::1', '2001:db8::beef'), trust)).toBe('2001:db8::beef');
  });
});

describe('addressBucket (finding 13)', () => {
  it('keeps IPv4 and groups IPv6 by /64', () => {
    expect(addressBucket('::ffff:198.51.100.7')).toBe('198.51.100.7');
    expect(addressBucket('2001:db8:1:2:aaaa::1')).toBe(addressBucket('2001:0db8:0001:0002:ffff:ffff:ffff:ffff'));
    expect(addressBucket('2001:db8:1:2::1')).toBe('2001:db8:1:2::/64');
    expect(addressBucket('2001:db8:1:3::1')).not.toBe(addressBucket('2001:db8:1:2::1'));
    expect(addressBucket('::1')).toBe('0:0:0:0::/64');
  });
});
