import { Type } from '@sinclair/typebox';
import { Id, IsoTime, Nullable, Shape, Static } from './schema';

/** The shapes clients receive (API.md). */

export const ROLES = ['user', 'admin'] as const;
export type Role = (typeof ROLES)[number];
export const RoleSchema = Type.Union(
  ROLES.map((r) => Type.Literal(r)),
  { title: 'Role' },
);

export const UserSummary = Shape('UserSummary', { id: Id, displayName: Type.String() });
export type UserSummary = Static<typeof UserSummary>;

export const User = Shape('User', {
  id: Id,
  /** null for a user provisioned by an external identity provider without a verified email */
  email: Nullable(Type.String()),
  displayName: Type.String(),
  role: RoleSchema,
  emailVerified: Type.Boolean(),
  twoFactorEnabled: Type.Boolean(),
  createdAt: IsoTime,
});
export type User = Static<typeof User>;

export const Reaction = Shape('Reaction', { emoji: Type.String(), userIds: Type.Array(Id, { description: 'in order of reaction' }) });
export type Reaction = Static<typeof Reaction>;

export const Message = Shape(
  'Message',
  {
    id: Id,
    room: Type.String(),
    body: Type.String({ description: '"" once deleted' }),
    sender: UserSummary,
    createdAt: IsoTime,
    clientMsgId: Type.Optional(Type.String()),
    editedAt: Nullable(IsoTime),
    deletedAt: Nullable(IsoTime),
    reactions: Type.Array(Reaction, { description: 'in order of first use; [] once deleted' }),
  },
  'A room or DM message, in its current state.',
);
export type Message = Static<typeof Message>;

export const MessagePage = Shape('MessagePage', {
  messages: Type.Array(Message, { description: 'oldest first' }),
  hasMore: Type.Boolean({ description: 'older messages exist' }),
});
export type MessagePage = Static<typeof MessagePage>;

export const VISIBILITIES = ['public', 'private'] as const;
export type Visibility = (typeof VISIBILITIES)[number];
export const VisibilitySchema = Type.Union(VISIBILITIES.map((v) => Type.Literal(v)));

export const MEMBER_ROLES = ['owner', 'moderator', 'member'] as const;
export type MemberRole = (typeof MEMBER_ROLES)[number];
export const MemberRoleSchema = Type.Union(MEMBER_ROLES.map((r) => Type.Literal(r)));

export const Room = Shape('Room', {
  name: Type.String(),
  title: Type.String(),
  visibility: VisibilitySchema,
  ownerId: Nullable(Id),
  createdAt: IsoTime,
  memberCount: Type.Integer({ minimum: 0 }),
});
export type Room = Static<typeof Room>;

export const RoomEntry = Shape('RoomEntry', {
  ...Room.properties,
  role: Nullable(MemberRoleSchema),
  unread: Type.Integer({ minimum: 0, maximum: 1000, description: 'exact up to 1000; 1000 means "1000 or more"' }),
  lastMessage: Nullable(Message),
  peer: Type.Optional(UserSummary),
});
export type RoomEntry = Static<typeof RoomEntry>;

export const Member = Shape('Member', {
  user: UserSummary,
  role: MemberRoleSchema,
  joinedAt: IsoTime,
  lastReadMessageId: Nullable(Id),
});
export type Member = Static<typeof Member>;

export const Ban = Shape('Ban', {
  user: UserSummary,
  until: Nullable(IsoTime),
  reason: Nullable(Type.String()),
  createdAt: IsoTime,
});
export type Ban = Static<typeof Ban>;

export const Publication = Shape('Publication', {
  channel: Type.String(),
  offset: Type.Integer({ minimum: 1, description: 'strictly increasing per channel, never reused' }),
  data: Type.Unknown(),
  at: IsoTime,
});
export type Publication = Static<typeof Publication>;

export const Notification = Shape('Notification', { type: Type.String(), data: Type.Unknown(), at: IsoTime });
export type Notification = Static<typeof Notification>;

export const NodeStats = Shape('NodeStats', {
  node: Type.String(),
  connections: Type.Integer({ minimum: 0 }),
  onlineUsers: Type.Integer({ minimum: 0 }),
  messagesPerMinute: Type.Integer({ minimum: 0 }),
});
export type NodeStats = Static<typeof NodeStats>;

export const Stats = Shape(
  'Stats',
  {
    connections: Type.Integer({ minimum: 0 }),
    onlineUsers: Type.Integer({ minimum: 0 }),
    messagesPerMinute: Type.Integer({ minimum: 0 }),
    node: Type.String({ description: 'the node that answered' }),
    at: IsoTime,
    nodes: Type.Array(NodeStats, { description: 'one row per node (an addition to the contract)' }),
  },
  'Sums over every node.',
);
export type Stats = Static<typeof Stats>;
