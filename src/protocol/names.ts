/**
 * Naming rules and limits of the contract, as plain functions (no schema library): the SDK
 * and the demo client check names before sending, the server checks them on arrival.
 */

/** A room name: 1–64 characters of `a-z 0-9 - _`. */
export const ROOM_NAME = /^[a-z0-9_-]{1,64}$/;
/** Everyone may join and read; only admins may send. */
export const ANNOUNCEMENTS = 'announcements';
/** Message ids are ULIDs: they sort in creation order. */
export const MESSAGE_ID = /^[0-9A-HJKMNP-TV-Z]{26}$/;
/** User ids are ULIDs too (opaque to clients, but a DM room name is built from two of them). */
export const USER_ID = MESSAGE_ID;

export type RoomRef = { kind: 'named'; name: string } | { kind: 'dm'; name: string; members: [string, string] };

/** `dm:<a>:<b>`, the two user ids ordered as strings. */
export function dmRoomName(userA: string, userB: string): string {
  const [a, b] = userA < userB ? [userA, userB] : [userB, userA];
  return `dm:${a}:${b}`;
}

/** A named room or a well-formed DM room name; null for anything else. */
export function parseRoomName(name: string): RoomRef | null {
  if (ROOM_NAME.test(name)) return { kind: 'named', name };
  if (name.startsWith('dm:')) {
    const [a, b, rest] = name.slice(3).split(':');
    if (rest === undefined && a && b && USER_ID.test(a) && USER_ID.test(b) && a !== b && dmRoomName(a, b) === name)
      return { kind: 'dm', name, members: [a, b] };
  }
  return null;
}

export const CHANNEL_KINDS = ['public', 'user', 'admin', 'private'] as const;
export type ChannelKind = (typeof CHANNEL_KINDS)[number];
/** `<kind>:<name>`, name 1–128 of `A-Z a-z 0-9 - _ .` (case-sensitive). */
export const CHANNEL_NAME = /^(public|user|admin|private):([A-Za-z0-9_.-]{1,128})$/;

export interface ChannelRef {
  channel: string;
  kind: ChannelKind;
  name: string;
  /** `user:<userId>` and `user:<userId>.<name>`: the only user who may subscribe. */
  userId?: string;
}

export function parseChannel(channel: string): ChannelRef | null {
  const match = CHANNEL_NAME.exec(channel);
  if (!match) return null;
  const kind = match[1] as ChannelKind;
  const name = match[2];
  if (kind !== 'user') return { channel, kind, name };
  // `user:<userId>` or `user:<userId>.<name>`: neither part may be empty.
  const dot = name.indexOf('.');
  const userId = dot < 0 ? name : name.slice(0, dot);
  if (!userId || dot === name.length - 1) return null;
  return { channel, kind, name, userId };
}

/** An API key's name (the display name of its bot): 1–50 characters, not only whitespace. */
export const API_KEY_NAME_MAX = 50;
/** Lifetime of a channel token (`POST /api/v1/channels/:channel/tokens { ttl }`), in ms. */
export const CHANNEL_TOKEN_TTL = { minMs: 30_000, maxMs: 24 * 3_600_000, defaultMs: 3_600_000 } as const;
/** A repeated `idempotencyKey` on a channel within this long publishes nothing. */
export const PUBLICATION_IDEMPOTENCY_MS = 5 * 60_000;

/** `notification { type }` and webhook-free server API types: 1–64 of `a-z 0-9 . _ -`. */
export const NOTIFICATION_TYPE = /^[a-z0-9._-]{1,64}$/;

/** An API key as printed once: `pk_<id>_<secret>`, the id of letters and digits only. */
export const API_KEY = /^pk_([A-Za-z0-9]+)_([A-Za-z0-9_-]+)$/;
export const API_KEY_SCOPES = ['messages', 'notify', 'users', 'read'] as const;
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];
/** The sender id of a message posted through the server API with key `keyId`. */
export const botSenderId = (keyId: string) => `bot:${keyId}`;

export const LIMITS = {
  /** message body, in characters */
  messageBody: 4000,
  /** default and largest history page */
  historyPage: 50,
  historyPageMax: 100,
  /** messages (and changed messages) a `since` resume returns at once */
  catchUp: 200,
  /** distinct reactions per message */
  reactionsPerMessage: 20,
  /** unread counts are exact up to this; the value itself means "this many or more" */
  unreadCap: 1000,
  /** public rooms the caller is not a member of, in `GET /rooms` */
  publicRoomsListed: 200,
  /** `GET /users?q=` */
  userSearch: 20,
  /** server API `data` and body fields: UTF-8 bytes of their JSON */
  apiFieldBytes: 16 * 1024,
  /** `channel:subscribe { since }`: publications returned at once */
  channelRecovery: 100,
  /** socket frames (kB = 1000 bytes) */
  frameBytes: 64_000,
  /** REST bodies */
  bodyBytes: 102_400,
  /** new passwords, in bytes of UTF-8 (bcrypt ignores what follows 72) */
  passwordMinBytes: 8,
  passwordMaxBytes: 72,
} as const;

/** How display names are searched (`GET /users?q=`): Unicode NFC, lower case; `q` is a prefix of it. */
export const displayNameKey = (displayName: string): string => displayName.normalize('NFC').toLowerCase();
