import type { Socket } from 'socket.io';
import type { Principal } from '../auth/principal';
import type { MessageView } from '../chat/message.view';
import type { StatsView } from '../dashboard/stats.view';
import type { UserSummary } from '../users/user.view';
import type { TokenBucket } from './rate-limiters';
import type { WsErrorBody } from './ws-errors';

/** Every event the server emits, with its payload (contract, "server → client"). */
export interface ServerToClientEvents {
  'message:new': (message: MessageView) => void;
  'dm:new': (message: MessageView) => void;
  'presence:join': (event: { room: string; user: UserSummary }) => void;
  'presence:leave': (event: { room: string; user: UserSummary }) => void;
  typing: (event: { room: string; user: UserSummary; typing: boolean }) => void;
  'auth:expired': (event: Record<string, never>) => void;
  'session:revoked': (event: { reason: string }) => void;
  stats: (stats: StatsView) => void;
  exception: (error: WsErrorBody) => void;
}

/**
 * What Parley keeps on `socket.data`. It must stay plain JSON: the Redis adapter serialises
 * it for `fetchSockets` on other nodes (presence). Per-socket machinery lives in `SocketState`.
 */
export interface SocketData {
  user: Principal;
}

/** Node-local state of one socket: its event rate limit and its expiry timer. */
export interface SocketState {
  bucket: TokenBucket;
  expiryTimer?: NodeJS.Timeout;
}

const states = new WeakMap<object, SocketState>();

export function socketState(socket: object): SocketState {
  const state = states.get(socket);
  if (!state) throw new Error('socket has no Parley state (not admitted by the handshake)');
  return state;
}

export function initSocketState(socket: object, state: SocketState): void {
  states.set(socket, state);
}

// Client events are routed by Nest's @SubscribeMessage handlers, each validating its payload.
export type ParleySocket = Socket<Record<string, never>, ServerToClientEvents, Record<string, never>, SocketData>;

export const userRoom = (userId: string) => `user:${userId}`;
export const sessionRoom = (sid: string) => `session:${sid}`;
