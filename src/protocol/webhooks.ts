import { Type } from '@sinclair/typebox';
import { Message, UserSummary } from './models';
import { IsoTime, Shape, Static } from './schema';

/** Webhook events POSTed to WEBHOOK_URL, signed with `Parley-Signature: t=<unix s>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`. */

export const SIGNATURE_HEADER = 'Parley-Signature';

const RoomMembership = Type.Object({ room: Type.String(), user: UserSummary, reason: Type.String() });

export const WEBHOOK_DATA = {
  'user.online': Type.Object({ user: UserSummary }),
  'user.offline': Type.Object({ user: UserSummary }),
  'message.created': Type.Object({ message: Message }),
  'message.unread': Type.Object({ message: Message, recipient: UserSummary }),
  'room.member_added': RoomMembership,
  'room.member_removed': RoomMembership,
  'user.blocked': Type.Object({ user: UserSummary, reason: Type.Union([Type.String(), Type.Null()]) }),
} as const;

export type WebhookType = keyof typeof WEBHOOK_DATA;
export const WEBHOOK_TYPES = Object.keys(WEBHOOK_DATA) as WebhookType[];

export const MEMBER_ADDED_REASONS = ['created', 'joined', 'added'] as const;
export const MEMBER_REMOVED_REASONS = ['left', 'removed', 'banned', 'deleted'] as const;

export type WebhookData<T extends WebhookType> = Static<(typeof WEBHOOK_DATA)[T]>;
export type WebhookEvent = { [T in WebhookType]: { id: string; type: T; at: string; data: WebhookData<T> } }[WebhookType];

export const WebhookEnvelope = Shape('WebhookEvent', {
  id: Type.String({ description: 'de-duplicate by this' }),
  type: Type.String(),
  at: IsoTime,
  data: Type.Unknown(),
});
