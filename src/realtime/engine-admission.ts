import type { IncomingMessage } from 'node:http';
import { clientIp, compileTrust, TrustFunction } from '../common/client-ip';
import { AppConfig } from '../config/app-config';
import { FixedWindowLimiter } from './rate-limiters';

/** An Engine.IO session that has not joined one of our namespaces by then is closed. */
export const UNATTACHED_SESSION_MS = 10_000;

/**
 * What admission found for each handshake request: the client's address (computed once, here,
 * for the namespace's rate limit and log line too) and whether it was let through over the
 * limit so that a namespace answers RATE_LIMITED.
 */
const admitted = new WeakMap<IncomingMessage, { ip: string; overLimit: boolean }>();
/** Engine.IO connections on which a namespace accepted a socket. */
const attached = new WeakSet<object>();

interface EngineConnection {
  request: IncomingMessage;
  once(event: 'close', listener: () => void): void;
  close(): void;
}

/**
 * Engine.IO sessions count against WS_CONNECT_RATE_LIMIT per client IP before any namespace
 * sees them (finding 7): each costs memory whether or not a namespace follows. Up to the limit
 * they pass; up to twice the limit they pass marked, so the namespace middleware refuses them
 * with `connect_error` RATE_LIMITED (what a client can act on); beyond that the handshake
 * request itself is refused (403). A session still without a namespace after 10 s is closed.
 */
export class EngineAdmission {
  private readonly limiter: FixedWindowLimiter;
  private readonly trust: TrustFunction;

  constructor(private readonly config: AppConfig) {
    this.limiter = new FixedWindowLimiter(config.wsConnectRateLimit);
    this.trust = compileTrust(config.trustProxy);
  }

  /** Engine.IO's `allowRequest`: called for requests that open a new session only. */
  readonly allowRequest = (req: IncomingMessage, callback: (error: string | null | undefined, success: boolean) => void): void => {
    const ip = clientIp(req, this.trust);
    const hits = this.limiter.count(ip);
    const { limit } = this.config.wsConnectRateLimit;
    if (hits > 2 * limit) return callback('RATE_LIMITED', false);
    admitted.set(req, { ip, overLimit: hits > limit });
    callback(null, true);
  };

  /** Engine.IO's 'connection': the 10 s deadline to reach a namespace. */
  readonly onConnection = (conn: EngineConnection): void => {
    const timer = setTimeout(() => {
      if (!attached.has(conn)) conn.close();
    }, UNATTACHED_SESSION_MS).unref();
    conn.once('close', () => clearTimeout(timer));
  };
}

export const isOverConnectLimit = (req: IncomingMessage): boolean => admitted.get(req)?.overLimit === true;

/** The client address admission computed for this handshake request, if it saw it. */
export const admittedAddress = (req: IncomingMessage): string | undefined => admitted.get(req)?.ip;

/** Called when a namespace accepts a socket on this Engine.IO connection. */
export const markAttached = (conn: object): void => {
  attached.add(conn);
};
