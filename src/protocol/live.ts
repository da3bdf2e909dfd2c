import { Type } from '@sinclair/typebox';
import { CHANNEL_UNSUBSCRIBED_REASONS } from './errors';
import { AUTH_EXPIRED, AUTH_REFRESH, clientEvent, EXCEPTION, NamespaceSpec, serverEvent, SESSION_REVOKED } from './events';
import { CHANNEL_NAME } from './names';
import { Notification, Publication } from './models';
import { Strict } from './schema';

/** `/live`: channels for dashboards and feeds. The kind rules (who may subscribe) are in API.md. */
export const ChannelField = Type.String({
  minLength: 1,
  maxLength: 136,
  description: `<kind>:<name>, ${CHANNEL_NAME.source}`,
});

export const LIVE = {
  path: '/live',
  summary: 'Channels: public:, user:<id>[.<name>], admin:, private: (with a channel token).',
  client: {
    'channel:subscribe': clientEvent(
      'Subscribe; with `since` (an offset), every publication after it.',
      Strict({
        channel: ChannelField,
        since: Type.Optional(Type.Integer({ minimum: 0 })),
        token: Type.Optional(Type.String({ minLength: 1, maxLength: 4096, description: 'a channel token for private: channels' })),
      }),
      Type.Object({
        channel: Type.String(),
        offset: Type.Integer({ minimum: 0, description: "the channel's latest offset (0 when none)" }),
        publications: Type.Array(Publication),
        recovered: Type.Boolean({ description: 'false when some missed publications are no longer in history' }),
      }),
    ),
    'channel:unsubscribe': clientEvent('Unsubscribe.', Strict({ channel: ChannelField }), Type.Object({ channel: Type.String() })),
    'auth:refresh': AUTH_REFRESH,
  },
  server: {
    publication: serverEvent('A publication on a subscribed channel.', Publication),
    notification: serverEvent('From the server API, to every socket of the user.', Notification),
    'channel:unsubscribed': serverEvent(
      'auth:refresh brought a token that may no longer read the channel.',
      Type.Object({ channel: Type.String(), reason: Type.Union(CHANNEL_UNSUBSCRIBED_REASONS.map((r) => Type.Literal(r))) }),
    ),
    'auth:expired': AUTH_EXPIRED,
    'session:revoked': SESSION_REVOKED,
    exception: EXCEPTION,
  },
} satisfies NamespaceSpec;
export type Live = typeof LIVE;
