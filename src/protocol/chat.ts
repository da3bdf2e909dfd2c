import { Type } from '@sinclair/typebox';
import { ROOM_REMOVED_REASONS } from './errors';
import { AUTH_EXPIRED, AUTH_REFRESH, clientEvent, EXCEPTION, NamespaceSpec, serverEvent, SESSION_REVOKED } from './events';
import { LIMITS, MESSAGE_ID } from './names';
import { Message, MessagePage, Notification, UserSummary } from './models';
import { Id, Strict } from './schema';

/** `/chat`: rooms, DMs, presence, typing, the message lifecycle and read state. */

/** A room name as sent: the naming rule (`ROOM_NAME`, or a `dm:` name where allowed) is checked by the server. */
export const RoomField = Type.String({ minLength: 1, maxLength: 64, description: '1–64 of a-z 0-9 - _ (or dm:<a>:<b> where allowed)' });
export const MessageIdField = Type.String({ pattern: MESSAGE_ID.source, description: 'a message id' });
export const BodyField = Type.String({
  minLength: 1,
  maxLength: LIMITS.messageBody,
  pattern: '\\S',
  description: `1–${LIMITS.messageBody} characters, not only whitespace`,
});
export const ClientMsgIdField = Type.String({ minLength: 1, maxLength: 64, description: 'retries with the same id store nothing new' });
export const EmojiField = Type.String({ minLength: 1, maxLength: 16, pattern: '^\\S+$', description: '1–16 code points, no whitespace' });
const Online = Type.Array(UserSummary, { description: 'across all nodes' });

export const CHAT = {
  path: '/chat',
  summary: 'Messaging: rooms, DMs, presence, typing, edits, reactions and read markers.',
  client: {
    'room:join': clientEvent(
      'Join a room (a public room makes the caller a member). With `since`, the messages after it and the ones changed since.',
      Strict({ room: RoomField, since: Type.Optional(MessageIdField) }),
      Type.Object({
        room: Type.String(),
        online: Online,
        history: Type.Array(Message, { description: 'latest 50, or the first 200 after `since`; oldest first' }),
        hasMore: Type.Boolean(),
        updated: Type.Optional(Type.Array(Message, { description: 'with `since`: messages up to it changed after it, by latest change' })),
        hasMoreUpdated: Type.Optional(Type.Boolean()),
      }),
    ),
    'room:leave': clientEvent(
      'Unsubscribe this socket from the room (membership stays).',
      Strict({ room: RoomField }),
      Type.Object({ room: Type.String() }),
    ),
    'message:send': clientEvent(
      'Send to a joined room; acknowledged once stored.',
      Strict({ room: RoomField, body: BodyField, clientMsgId: Type.Optional(ClientMsgIdField) }),
      Message,
    ),
    'message:history': clientEvent(
      'A page of history, as `GET /rooms/:room/messages`.',
      Strict({
        room: RoomField,
        before: Type.Optional(MessageIdField),
        limit: Type.Optional(Type.Integer({ minimum: 1, maximum: LIMITS.historyPageMax })),
      }),
      MessagePage,
    ),
    'dm:send': clientEvent(
      'A direct message, in room dm:<a>:<b>.',
      Strict({ to: Id, body: BodyField, clientMsgId: Type.Optional(ClientMsgIdField) }),
      Message,
    ),
    typing: clientEvent(
      'Typing indicator for the others in the room (volatile).',
      Strict({ room: RoomField, typing: Type.Boolean() }),
      Type.Object({}),
    ),
    'presence:list': clientEvent('Who is in the room, on every node.', Strict({ room: RoomField }), Type.Object({ online: Online })),
    'auth:refresh': AUTH_REFRESH,
    'message:edit': clientEvent('Edit your own message.', Strict({ id: MessageIdField, body: BodyField }), Message),
    'message:delete': clientEvent(
      'Delete a message (sender, room owner or moderator, admin): a tombstone stays.',
      Strict({ id: MessageIdField }),
      Type.Object({ id: Type.String() }),
    ),
    'reaction:add': clientEvent('React (idempotent per user).', Strict({ id: MessageIdField, emoji: EmojiField }), Message),
    'reaction:remove': clientEvent('Take a reaction back.', Strict({ id: MessageIdField, emoji: EmojiField }), Message),
    'room:read': clientEvent(
      'Move your read marker forward (never back).',
      Strict({ room: RoomField, messageId: MessageIdField }),
      Type.Object({ room: Type.String(), messageId: Type.String(), unread: Type.Integer({ minimum: 0 }) }),
    ),
  },
  server: {
    'message:new': serverEvent('A message stored in a room this socket is in.', Message),
    'dm:new': serverEvent('A direct message to or from this user.', Message),
    'message:updated': serverEvent('A message was edited or its reactions changed.', Message),
    'message:deleted': serverEvent('A message was deleted.', Type.Object({ room: Type.String(), id: Type.String() })),
    'presence:join': serverEvent("A user's first socket joined the room.", Type.Object({ room: Type.String(), user: UserSummary })),
    'presence:leave': serverEvent("A user's last socket left the room.", Type.Object({ room: Type.String(), user: UserSummary })),
    typing: serverEvent('Someone else in the room is (not) typing.', Type.Object({ room: Type.String(), user: UserSummary, typing: Type.Boolean() })),
    'room:read': serverEvent(
      "The user's read marker moved on another of their sockets.",
      Type.Object({ room: Type.String(), messageId: Type.String(), unread: Type.Integer({ minimum: 0 }) }),
    ),
    'room:removed': serverEvent(
      'The user left, was removed or banned; their sockets in the room leave it.',
      Type.Object({ room: Type.String(), reason: Type.Union(ROOM_REMOVED_REASONS.map((r) => Type.Literal(r))) }),
    ),
    'room:deleted': serverEvent('The room was deleted; every socket in it leaves it.', Type.Object({ room: Type.String() })),
    notification: serverEvent('From the server API, to every socket of the user.', Notification),
    'auth:expired': AUTH_EXPIRED,
    'session:revoked': SESSION_REVOKED,
    exception: EXCEPTION,
  },
} satisfies NamespaceSpec;
export type Chat = typeof CHAT;
