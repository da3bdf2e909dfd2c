import { BeforeApplicationShutdown, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { AccessAuthService } from '../auth/access-auth.service';
import { AppError } from '../common/errors';
import { AppConfig } from '../config/app-config';
import { MetricsService } from '../metrics/metrics.service';
import type { Notification, RevokeReason } from '../protocol';
import { RevocationService } from '../sessions/revocation.service';
import { initSocketState, ParleyNamespace, ParleySocket, sessionRoom, socketState, userRoom } from './events';
import { TokenBucket } from './rate-limiters';
import { ConnectionSlots } from './connection-slots';
import { SocketDirectory } from './socket-directory';
import { markAttached } from './engine-admission';
import { HandshakeRules, WsAuthService } from './ws-auth.service';
import { toHandshakeError } from './ws-errors';

type HandshakeError = Error & { data: { code: string; message: string } };

/** setTimeout's longest delay; a longer one fires at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Told of every admitted socket of every namespace on this node (webhooks count presence from it). */
export interface SocketLifecycleListener {
  connected(socket: ParleySocket): void;
  disconnected(socket: ParleySocket): void;
}

/**
 * Socket lifecycle shared by every namespace: handshake middleware, identity rooms
 * (`user:<id>`, `session:<sid>`), the access-token expiry timer with its grace period,
 * `auth:refresh`, and disconnecting ended sessions. Sockets are addressed by identity rooms,
 * never by socket id, so the same code reaches every node once the Redis adapter is on.
 */
@Injectable()
export class RealtimeService implements OnModuleDestroy, BeforeApplicationShutdown {
  private readonly namespaces: ParleyNamespace[] = [];
  private readonly notified: ParleyNamespace[] = [];
  private readonly rules = new Map<string, HandshakeRules>();
  private readonly unsubscribe: () => void;
  private closing = false;
  private readonly logger = new Logger('Handshake');
  private readonly lifecycle: SocketLifecycleListener[] = [];

  constructor(
    private readonly config: AppConfig,
    private readonly wsAuth: WsAuthService,
    private readonly accessAuth: AccessAuthService,
    private readonly revocation: RevocationService,
    private readonly metrics: MetricsService,
    private readonly slots: ConnectionSlots,
    private readonly directory: SocketDirectory,
  ) {
    // Each node receives every revocation from the bus and acts on its own sockets only.
    this.unsubscribe = this.revocation.onEnded(({ sid, reason }) => {
      for (const nsp of this.namespaces) {
        nsp.local.to(sessionRoom(sid)).emit('session:revoked', { reason });
        nsp.local.in(sessionRoom(sid)).disconnectSockets();
      }
    });
  }

  onModuleDestroy(): void {
    this.unsubscribe();
  }

  /** Draining (SIGTERM): new handshakes go elsewhere; live sockets finish their events. */
  beforeApplicationShutdown(): void {
    this.closing = true;
  }

  /** Called from each gateway's afterInit. */
  attach(nsp: ParleyNamespace, rules: HandshakeRules = {}): void {
    this.namespaces.push(nsp);
    if (rules.notifications) this.notified.push(nsp);
    this.rules.set(nsp.name, rules);
    nsp.use((rawSocket, next) => {
      const socket = rawSocket as ParleySocket;
      // The id the engine gave the handshake request (ParleyIoAdapter), returned as X-Request-Id.
      const log = { reqId: (socket.request as { id?: string }).id, namespace: nsp.name, ip: this.wsAuth.clientIp(socket) };
      this.admit(socket, nsp, rules).then(
        () => {
          this.logger.log({ msg: 'handshake accepted', ...log, userId: socket.data.user.id });
          next();
        },
        (error: unknown) => {
          const body = toHandshakeError(error);
          this.logger.log({ msg: 'handshake refused', ...log, code: body.code });
          this.metrics.handshakesRefused.inc({ namespace: nsp.name, code: body.code });
          next(Object.assign(new Error(body.message), { data: body }) as HandshakeError);
        },
      );
    });
    nsp.on('connection', (rawSocket) => this.onConnection(rawSocket as ParleySocket, nsp.name));
  }

  /**
   * A blocked user's sockets without a Parley session (external provider's tokens): ending the
   * user's sessions reaches the others. On every node, through the adapter.
   */
  async endExternalSockets(userId: string, reason: RevokeReason): Promise<void> {
    for (const nsp of this.namespaces) {
      for (const socket of await this.directory.inRoom(nsp, userRoom(userId))) {
        if (socket.data.user?.kind !== 'external') continue;
        socket.emit('session:revoked', { reason });
        socket.disconnect(true);
      }
    }
  }

  /** `notification` to every socket of the user in the namespaces that take it, on every node; nothing is kept. */
  notifyUser(userId: string, notification: Notification): void {
    for (const nsp of this.notified) nsp.to(userRoom(userId)).emit('notification', notification);
  }

  onSocketLifecycle(listener: SocketLifecycleListener): void {
    this.lifecycle.push(listener);
  }

  /** Sockets on this node (all namespaces) and distinct users connected to it. */
  localCounts(): { connections: number; onlineUsers: number } {
    let connections = 0;
    const users = new Set<string>();
    for (const nsp of this.namespaces) {
      connections += nsp.sockets.size;
      for (const room of nsp.adapter.rooms.keys()) if (room.startsWith('user:')) users.add(room);
    }
    return { connections, onlineUsers: users.size };
  }

  /** `auth:refresh`: a fresh access token of the same user; the socket keeps its rooms. */
  async refresh(socket: ParleySocket, token: string): Promise<{ expiresAt: string }> {
    const next = await this.accessAuth.authenticate(token);
    const current = socket.data.user;
    if (next.id !== current.id) throw new AppError('FORBIDDEN', 'The token belongs to another user');
    await this.accessAuth.assertEmailVerified(next);
    const role = this.rules.get(socket.nsp.name)?.role;
    if (role && next.role !== role) {
      // a demoted admin: the ack says why, then the socket goes (after the ack is written)
      setTimeout(() => socket.disconnect(true), 0);
      throw new AppError('FORBIDDEN', `Only ${role} users may stay connected here`);
    }
    if (next.sid !== current.sid) {
      if (current.sid !== null) await socket.leave(sessionRoom(current.sid));
      if (next.sid !== null) await socket.join(sessionRoom(next.sid));
    }
    socket.data.user = next;
    this.scheduleExpiry(socket);
    return { expiresAt: new Date(next.expiresAt).toISOString() };
  }

  private async admit(socket: ParleySocket, nsp: ParleyNamespace, rules: HandshakeRules): Promise<void> {
    if (this.closing) throw new AppError('UNAVAILABLE', 'This node is restarting; connect again');
    const user = await this.wsAuth.authenticate(socket, rules);
    // A reservation, atomic across nodes; given back however the socket goes (also if its
    // connection closes before the namespace accepts it).
    if (!(await this.slots.reserve(nsp.name, user.id, socket.id))) {
      throw new AppError('TOO_MANY_CONNECTIONS', `At most ${this.config.wsMaxConnectionsPerUser} connections per user`);
    }
    const release = () => this.slots.release(nsp.name, user.id, socket.id);
    socket.conn.once('close', release);
    socket.once('disconnect', release);
    socket.data.user = user;
    initSocketState(socket, { bucket: new TokenBucket(this.config.wsRateLimit) });
  }

  private onConnection(socket: ParleySocket, namespace: string): void {
    const { user } = socket.data;
    markAttached(socket.conn);
    this.metrics.socketsConnected.inc({ namespace });
    socket.once('disconnect', () => {
      clearTimeout(socketState(socket).expiryTimer);
      this.metrics.socketsConnected.dec({ namespace });
    });
    // A session may have ended while the handshake was in flight.
    const endedReason = user.sid === null ? null : this.revocation.endedReason(user.sid);
    if (endedReason) {
      socket.emit('session:revoked', { reason: endedReason });
      socket.disconnect();
      return;
    }
    void socket.join(user.sid === null ? [userRoom(user.id)] : [userRoom(user.id), sessionRoom(user.sid)]);
    this.scheduleExpiry(socket);
    for (const listener of this.lifecycle) listener.connected(socket);
    socket.once('disconnect', () => {
      for (const listener of this.lifecycle) listener.disconnected(socket);
    });
  }

  /**
   * At expiry: `auth:expired` once (even to an idle socket); then, unless `auth:refresh`
   * arrives within WS_AUTH_GRACE, disconnect. Events in between get TOKEN_EXPIRED (WsJwtGuard).
   */
  private scheduleExpiry(socket: ParleySocket): void {
    const state = socketState(socket);
    clearTimeout(state.expiryTimer);
    const expiresAt = socket.data.user.expiresAt;
    state.expiryTimer = setTimeout(
      () => {
        if (socket.data.user.expiresAt !== expiresAt || !socket.connected) return;
        // An external provider's token may outlive the longest timer (about 24.8 days).
        if (Date.now() < expiresAt) return this.scheduleExpiry(socket);
        socket.emit('auth:expired', {});
        state.expiryTimer = setTimeout(() => {
          if (socket.data.user.expiresAt === expiresAt) socket.disconnect();
        }, this.config.wsAuthGraceMs);
      },
      Math.min(Math.max(0, expiresAt - Date.now()), MAX_TIMER_MS),
    );
  }
}
