import type { IncomingMessage } from 'node:http';
import { clientIp, compileTrust, TrustFunction } from '../common/client-ip';
import { AppConfig } from '../config/app-config';
import { FixedWindowLimiter } from './rate-limiters';

/** An Engine.IO session that has not joined one of our namespaces by then is closed. */
export const UNATTACHED_SESSION_MS = 10_000;

/** Handshake requests over the limit that were let through so a namespace answers RATE_LIMITED. */
const overLimit = new WeakSet<IncomingMessage>();
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
    const hits = this.limiter.count(clientIp(req, this.trust));
    const { limit } = this.config.wsConnectRateLimit;
    if (hits > 2 * limit) return callback('RATE_LIMITED', false);
    if (hits > limit) overLimit.add(req);
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

export const isOverConnectLimit = (req: IncomingMessage): boolean => overLimit.has(req);

/** Called when a namespace accepts a socket on this Engine.IO connection. */
export const markAttached = (conn: object): void => {
  attached.add(conn);
};
