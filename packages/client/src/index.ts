/**
 * @parley/client: the Parley SDK for browsers and Node. Types come from the wire contract
 * (`src/protocol`); nothing here declares a contract shape again.
 */
export { ParleyClient } from './client';
export type { ParleyClientOptions } from './client';
export { RoomsApi, TwoFactorApi, UsersApi } from './api';
export { Auth, jwtClaims, refreshLeadMs } from './auth';
export type { LoginResult, SignedOut, SignedOutReason } from './auth';
export { Backoff } from './backoff';
export type { BackoffOptions } from './backoff';
export { ChatClient, newId } from './chat';
export type { ChatEvents, ChatServerEvent } from './chat';
export { Connection } from './connection';
export type { ConnectionState } from './connection';
export { DashboardClient } from './dashboard';
export { LiveClient } from './live';
export { ChannelCursor, SeenIds } from './dedupe';
export { isAckErrorCode, isHandshakeErrorCode, isRetryable, ParleyAckError, ParleyError, ParleyHandshakeError, ParleyHttpError } from './errors';
export type { ClientErrorCode } from './errors';
export { defaultLock, processLock } from './lock';
export type { LockFn } from './lock';
export { indexedDbOutbox, memoryOutbox } from './outbox';
export type { OutboxEntry, OutboxStore } from './outbox';
export { RoomDirectory } from './room-directory';
export type { RoomDirectoryEvents, RoomDirectoryOptions } from './room-directory';
export { browserSessionStore, memorySessionStore } from './session-store';
export type { SessionStore, StoredSession } from './session-store';
export { ACK_ERROR_CODES, HANDSHAKE_ERROR_CODES, REVOKE_REASONS } from '../../../src/protocol/errors';
export { dmRoomName, parseRoomName, ROOM_NAME, LIMITS } from '../../../src/protocol/names';
export type {
  AckErrorCode,
  Ban,
  Chat,
  CreateRoomBody,
  ClientEvents,
  Dashboard,
  DataOf,
  HandshakeErrorCode,
  Live,
  Member,
  MemberRole,
  Message,
  MessagePage,
  Notification,
  PayloadOf,
  Publication,
  RecoveryCodes,
  PutBanBody,
  PutMemberBody,
  Reaction,
  RevokeReason,
  Room,
  RoomEntry,
  RoomRemovedReason,
  ServerEvents,
  ServerPayloadOf,
  SessionInfo,
  Stats,
  TwoFactorSetup,
  UpdateRoomBody,
  User,
  UserSummary,
  Visibility,
} from '../../../src/protocol';
