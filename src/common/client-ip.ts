import type { IncomingMessage } from 'node:http';
import { BlockList, isIP } from 'node:net';
import type { TrustProxy } from '../config/app-config';

/** `(address, hop)` → may this peer tell us who is behind it? hop 0 is the direct peer. */
export type TrustFunction = (address: string, hop: number) => boolean;

const NAMED: Record<string, string[]> = {
  loopback: ['127.0.0.0/8', '::1/128'],
  linklocal: ['169.254.0.0/16', 'fe80::/10'],
  uniquelocal: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7'],
};

/**
 * TRUST_PROXY as one function, handed to Express (`trust proxy` accepts a function, so
 * `req.ip` follows it) and used by `clientIp` for Socket.IO handshakes: one rule for both.
 */
export function compileTrust(setting: TrustProxy): TrustFunction {
  if (setting === false) return () => false;
  if (typeof setting === 'number') return (_address, hop) => hop < setting;
  const list = new BlockList();
  for (const entry of setting.flatMap((e) => NAMED[e] ?? [e])) {
    const [address, bits] = entry.split('/');
    const type = isIP(address) === 6 ? 'ipv6' : 'ipv4';
    if (bits === undefined) list.addAddress(address, type);
    else list.addSubnet(address, Number(bits), type);
  }
  return (address) => {
    const plain = unmapped(address);
    const family = isIP(plain);
    return family !== 0 && list.check(plain, family === 6 ? 'ipv6' : 'ipv4');
  };
}

/**
 * The client's address: walking from the direct peer leftwards through `X-Forwarded-For`,
 * the first address that is not a trusted proxy (what Express's proxy-addr computes for
 * `req.ip`). Entries to the left of it were written by the client and are ignored.
 */
export function clientIp(req: Pick<IncomingMessage, 'headers' | 'socket'>, trust: TrustFunction): string {
  const peer = unmapped(req.socket.remoteAddress ?? 'unknown');
  const header = req.headers['x-forwarded-for'];
  const forwarded = (Array.isArray(header) ? header.join(',') : (header ?? ''))
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean)
    .reverse();
  const chain = [peer, ...forwarded];
  let i = 0;
  while (i < chain.length - 1 && trust(chain[i], i)) i++;
  return unmapped(chain[i]);
}

/**
 * The rate-limit bucket of an address: IPv4 as is, IPv6 by its /64 (one subscriber usually
 * holds a whole /64, so per-address limits would not hold anyone back).
 */
export function addressBucket(address: string): string {
  const plain = unmapped(address);
  if (isIP(plain) !== 6) return plain;
  return `${expandIpv6(plain).slice(0, 4).join(':')}::/64`;
}

function unmapped(address: string): string {
  const match = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return match ? match[1] : address;
}

/** Eight lower-case hextets without leading zeros (an embedded IPv4 tail becomes two). */
function expandIpv6(address: string): string[] {
  let text = address.toLowerCase().split('%')[0];
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number);
    text = `${text.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split('::');
  const left = head ? head.split(':') : [];
  const right = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const middle = tail === undefined ? [] : Array<string>(8 - left.length - right.length).fill('0');
  return [...left, ...middle, ...right].map((h) => parseInt(h, 16).toString(16));
}
