import { Type } from '@sinclair/typebox';
import { AUTH_EXPIRED, AUTH_REFRESH, clientEvent, EXCEPTION, NamespaceSpec, serverEvent, SESSION_REVOKED } from './events';
import { Stats } from './models';

/** `/dashboard`: admins only. */
export const DASHBOARD = {
  path: '/dashboard',
  summary: 'Live server stats for admins (FORBIDDEN at the handshake otherwise).',
  client: {
    'stats:get': clientEvent(
      'The current figures at once (an addition to the contract).',
      Type.Optional(Type.Object({}, { additionalProperties: false })),
      Stats,
    ),
    'auth:refresh': AUTH_REFRESH,
  },
  server: {
    stats: serverEvent('Every 2 s.', Stats),
    'auth:expired': AUTH_EXPIRED,
    'session:revoked': SESSION_REVOKED,
    exception: EXCEPTION,
  },
} satisfies NamespaceSpec;
export type Dashboard = typeof DASHBOARD;
