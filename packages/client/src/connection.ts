import type { Manager, Socket } from 'socket.io-client';
import type { AckOf, DataOf, NamespaceSpec, PayloadOf, RevokeReason, ServerPayloadOf } from '../../../src/protocol';
import { Auth } from './auth';
import { Backoff, BackoffOptions } from './backoff';
import { Emitter } from './emitter';
import { isHandshakeErrorCode, ParleyAckError, ParleyError, ParleyHandshakeError } from './errors';

/**
 * - `connecting`: a handshake (or, once connected, the re-join of rooms and channels) is under way;
 * - `connected`: ready, everything re-joined;
 * - `reconnecting`: waiting `delayMs` before attempt `attempt` (the last `error` says why);
 * - `closed`: the end, no more attempts: `closed()` was called, the user is signed out, or
 *   the server refused the handshake for a reason a retry cannot change (`refused`).
 */
export type ConnectionState =
  | { status: 'idle' }
  | { status: 'connecting' }
  | { status: 'connected' }
  | { status: 'reconnecting'; attempt: number; delayMs: number; error: ParleyError }
  | { status: 'closed'; reason: 'closed' | 'signed_out' | 'refused'; error?: ParleyError };

export interface ConnectionOptions {
  manager: Manager;
  /** the namespace */
  path: string;
  auth: Auth;
  /** Waits between attempts (full jitter); default 500 ms doubling up to 10 s. */
  backoff?: BackoffOptions;
  /** How long a request waits for its acknowledgement (and for the connection); default 10 s. */
  ackTimeoutMs?: number;
  /** After every handshake, before `connected`: re-join rooms, re-subscribe channels. */
  resume?: () => Promise<void>;
}

type Events = { state: (state: ConnectionState) => void };

/** Handshake codes a retry cannot change: the end, shown to the app. */
const FINAL_HANDSHAKE = new Set(['FORBIDDEN', 'EMAIL_NOT_VERIFIED', 'ORIGIN_NOT_ALLOWED']);
/** Handshake codes about the token: refresh and try again at once (once per refusal). */
const TOKEN_HANDSHAKE = new Set(['TOKEN_EXPIRED', 'TOKEN_INVALID', 'TOKEN_MISSING', 'SESSION_REVOKED']);

/**
 * One Socket.IO namespace, kept connected. Reconnection is ours, not socket.io-client's
 * (its own is off): each attempt first gets a fresh access token, waits follow `Backoff`, and a
 * refused handshake is either final or retried by its code. Nothing is emitted while the socket
 * is down or still resuming (socket.io-client would buffer it and flush it before the rooms are
 * re-joined), so requests wait for `connected`.
 */
export class Connection<N extends NamespaceSpec> extends Emitter<Events> {
  readonly socket: Socket;
  private current: ConnectionState = { status: 'idle' };
  private stopped = true;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly backoff: Backoff;
  private readonly ackTimeoutMs: number;
  /** the token of the last handshake or `auth:refresh` */
  private socketToken: string | null = null;
  private tokenRetried = false;
  /** a token the last handshake refused: the next attempt gets another */
  private refusedToken: string | null = null;
  private readonly disposers: Array<() => void> = [];

  constructor(private readonly options: ConnectionOptions) {
    super();
    this.backoff = new Backoff(options.backoff);
    this.ackTimeoutMs = options.ackTimeoutMs ?? 10_000;
    this.socket = options.manager.socket(options.path, { auth: {} });
    const socket = this.socket;
    socket.on('connect', () => void this.onConnect());
    socket.on('connect_error', (error: Error & { data?: { code?: unknown; message?: string } }) => this.onConnectError(error));
    socket.on('disconnect', (reason) => {
      if (!this.stopped) this.retryLater(new ParleyError('DISCONNECTED', `Disconnected (${reason})`));
    });
    socket.on(
      'auth:expired',
      () =>
        void this.options.auth.token(this.socketToken ?? undefined).then(
          (token) => this.handOver(token),
          () => undefined,
        ),
    );
    socket.on('session:revoked', ({ reason }: { reason: RevokeReason }) => {
      options.auth.end({ reason, message: `This device was signed out (${reason})` });
    });
    this.disposers.push(
      options.auth.on('token', (token) => {
        if (socket.connected && token !== this.socketToken) void this.handOver(token);
      }),
      options.auth.on('signedOut', () => this.finish({ status: 'closed', reason: 'signed_out' })),
    );
    // A browser that comes back online tries at once instead of waiting out the backoff.
    const target = globalThis as {
      addEventListener?: (event: string, listener: () => void) => void;
      removeEventListener?: (event: string, listener: () => void) => void;
    };
    const online = () => {
      if (this.timer !== undefined) {
        clearTimeout(this.timer);
        this.timer = undefined;
        void this.attempt();
      }
    };
    target.addEventListener?.('online', online);
    this.disposers.push(() => target.removeEventListener?.('online', online));
  }

  get state(): ConnectionState {
    return this.current;
  }

  /** Connects (again, after `close()` or a sign-out). */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.backoff.reset();
    void this.attempt();
  }

  close(): void {
    this.finish({ status: 'closed', reason: 'closed' });
  }

  dispose(): void {
    this.close();
    for (const dispose of this.disposers) dispose();
    this.socket.removeAllListeners();
  }

  /** A server event, typed. */
  onEvent<K extends keyof N['server'] & string>(event: K, handler: (payload: ServerPayloadOf<N, K>) => void): () => void {
    this.socket.on(event as string, handler);
    return () => this.socket.off(event as string, handler);
  }

  /** An acknowledged event once `connected` (waits for it up to the ack timeout). */
  async request<K extends keyof N['client'] & string>(event: K, payload: PayloadOf<N, K>, timeoutMs = this.ackTimeoutMs): Promise<DataOf<N, K>> {
    await this.ready(timeoutMs, event);
    return this.emitNow(event, payload, timeoutMs);
  }

  /**
   * Emits at once, connected but maybe still resuming (for the resume itself and the outbox).
   * TOKEN_EXPIRED is handled here: refresh, `auth:refresh`, one more try.
   */
  async emitNow<K extends keyof N['client'] & string>(
    event: K,
    payload: PayloadOf<N, K>,
    timeoutMs = this.ackTimeoutMs,
    retried = false,
  ): Promise<DataOf<N, K>> {
    if (!this.socket.connected) throw new ParleyAckError('DISCONNECTED', 'Not connected', event);
    const token = this.socketToken;
    let ack: AckOf<DataOf<N, K>>;
    try {
      ack = (await this.socket.timeout(timeoutMs).emitWithAck(event, payload)) as AckOf<DataOf<N, K>>;
    } catch {
      throw this.socket.connected
        ? new ParleyAckError('TIMEOUT', `No answer to ${event}`, event)
        : new ParleyAckError('DISCONNECTED', 'Disconnected before the answer', event);
    }
    if (ack.ok) return ack.data;
    const { code, message } = ack.error;
    if (code === 'TOKEN_EXPIRED' && !retried) {
      await this.handOver(await this.options.auth.token(token ?? undefined));
      return this.emitNow(event, payload, timeoutMs, true);
    }
    if (code === 'SESSION_REVOKED') this.options.auth.end({ reason: 'session_ended', message });
    throw new ParleyAckError(code, message, event);
  }

  /** Resolves once `connected`; rejects when closed, or after `timeoutMs`. */
  ready(timeoutMs = this.ackTimeoutMs, event = 'request'): Promise<void> {
    if (this.current.status === 'connected') return Promise.resolve();
    if (this.current.status === 'closed' || this.current.status === 'idle')
      return Promise.reject(new ParleyAckError('CLOSED', 'The connection is closed', event));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        off();
        reject(new ParleyAckError('TIMEOUT', 'Not connected', event));
      }, timeoutMs);
      const off = this.on('state', (state) => {
        if (state.status === 'connected') resolve();
        else if (state.status === 'closed') reject(new ParleyAckError('CLOSED', 'The connection is closed', event));
        else return;
        clearTimeout(timer);
        off();
      });
    });
  }

  private setState(state: ConnectionState): void {
    this.current = state;
    this.emit('state', state);
  }

  private async attempt(): Promise<void> {
    this.timer = undefined;
    if (this.stopped) return;
    if (this.current.status !== 'reconnecting') this.setState({ status: 'connecting' });
    let token: string;
    try {
      token = await this.options.auth.token(this.refusedToken ?? undefined);
    } catch (error) {
      const parleyError = error instanceof ParleyError ? error : new ParleyError('NETWORK', String(error));
      if (parleyError.code === 'CLOSED') return this.finish({ status: 'closed', reason: 'signed_out', error: parleyError });
      return this.retryLater(parleyError);
    }
    if (this.stopped) return;
    this.socketToken = token;
    this.socket.auth = { token };
    this.socket.connect();
  }

  private async onConnect(): Promise<void> {
    this.tokenRetried = false;
    this.refusedToken = null;
    this.setState({ status: 'connecting' });
    try {
      await this.options.resume?.();
    } catch (error) {
      if (this.stopped || !this.socket.connected) return;
      // A resume that failed half-way is started again from a new connection.
      this.socket.disconnect();
      this.retryLater(error instanceof ParleyError ? error : new ParleyError('INTERNAL', String(error)));
      return;
    }
    if (this.stopped || !this.socket.connected) return;
    this.backoff.reset();
    this.setState({ status: 'connected' });
  }

  private onConnectError(error: Error & { data?: { code?: unknown; message?: string } }): void {
    if (this.stopped) return;
    const code = error.data?.code;
    if (!isHandshakeErrorCode(code)) return this.retryLater(new ParleyError('NETWORK', error.message));
    const refused = new ParleyHandshakeError(code, error.data?.message ?? error.message);
    if (FINAL_HANDSHAKE.has(code)) return this.finish({ status: 'closed', reason: 'refused', error: refused });
    if (TOKEN_HANDSHAKE.has(code)) {
      // The next attempt refreshes first (unless another caller already did).
      this.refusedToken = this.socketToken;
      if (!this.tokenRetried) {
        this.tokenRetried = true;
        void this.attempt();
        return;
      }
      // A fresh token refused again: the session is over, or the token is not one this server takes.
      if (code === 'SESSION_REVOKED') return this.options.auth.end({ reason: 'session_ended', message: refused.message });
      if (code !== 'TOKEN_EXPIRED') return this.finish({ status: 'closed', reason: 'refused', error: refused });
    }
    this.retryLater(refused);
  }

  /** `auth:refresh` with a new token; a refusal other than the token's own is the end. */
  private async handOver(token: string): Promise<void> {
    if (!this.socket.connected) return;
    this.socketToken = token;
    const ack = (await this.socket
      .timeout(this.ackTimeoutMs)
      .emitWithAck('auth:refresh', { token })
      .catch(() => null)) as AckOf<unknown> | null;
    if (ack && !ack.ok && ack.error.code === 'FORBIDDEN') {
      this.finish({ status: 'closed', reason: 'refused', error: new ParleyAckError('FORBIDDEN', ack.error.message, 'auth:refresh') });
    }
  }

  private retryLater(error: ParleyError): void {
    if (this.stopped || this.timer !== undefined) return;
    const delayMs = this.backoff.next();
    this.setState({ status: 'reconnecting', attempt: this.backoff.attempts, delayMs, error });
    this.timer = setTimeout(() => void this.attempt(), delayMs);
  }

  private finish(state: Extract<ConnectionState, { status: 'closed' }>): void {
    if (this.stopped && this.current.status === 'closed') return;
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.socket.connected || this.socket.active) this.socket.disconnect();
    this.setState(state);
  }
}
