import type { Namespace, Socket } from 'socket.io';
import type { Principal } from '../auth/principal';
import type { ClientEvents, NamespaceSpec, NodeStats, ServerEvents } from '../protocol';
import type { TokenBucket } from './rate-limiters';

/**
 * What Parley keeps on `socket.data`. It must stay plain JSON: the Redis adapter serialises
 * it for `fetchSockets` on other nodes (presence). Per-socket machinery lives in `SocketState`.
 */
export interface SocketData {
  user: Principal;
}

/** Server-to-server events between nodes (through the adapter). */
export interface InterServerEvents {
  /** `/dashboard`: each node answers with its own figures. */
  'parley:node-stats': (reply: (stats: NodeStats) => void) => void;
}

/** A socket of namespace N, typed by the contract both ways. */
export type ParleySocket<N extends NamespaceSpec = NamespaceSpec> = Socket<ClientEvents<N>, ServerEvents<N>, InterServerEvents, SocketData>;
export type ParleyNamespace<N extends NamespaceSpec = NamespaceSpec> = Namespace<ClientEvents<N>, ServerEvents<N>, InterServerEvents, SocketData>;

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

/** Identity rooms: a user's sockets, a session's sockets, on every node. */
export const userRoom = (userId: string) => `user:${userId}`;
export const sessionRoom = (sid: string) => `session:${sid}`;
/** The Socket.IO room holding a chat room's sockets (kept apart from `user:` / `session:` rooms). */
export const socketRoom = (room: string) => `room:${room}`;
