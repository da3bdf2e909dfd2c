import { Type } from '@sinclair/typebox';
import { ACK_ERROR_CODES, REVOKE_REASONS } from './errors';
import { Static, TSchema } from './schema';

/** How a namespace's events are described: payload and ack `data` schemas, both directions. */

export interface ClientEventSpec<P extends TSchema = TSchema, D extends TSchema = TSchema> {
  summary: string;
  payload: P;
  /** the `data` of `{ ok: true, data }` */
  data: D;
}

export interface ServerEventSpec<P extends TSchema = TSchema> {
  summary: string;
  payload: P;
}

export interface NamespaceSpec {
  path: string;
  summary: string;
  client: Record<string, ClientEventSpec>;
  server: Record<string, ServerEventSpec>;
}

export const clientEvent = <P extends TSchema, D extends TSchema>(summary: string, payload: P, data: D): ClientEventSpec<P, D> => ({
  summary,
  payload,
  data,
});
export const serverEvent = <P extends TSchema>(summary: string, payload: P): ServerEventSpec<P> => ({ summary, payload });

export const AckErrorSchema = Type.Object(
  { code: Type.Union(ACK_ERROR_CODES.map((c) => Type.Literal(c))), message: Type.String() },
  { title: 'AckError', description: 'never echoes the payload' },
);

/** Events every authenticated namespace shares. */
export const AUTH_REFRESH = clientEvent(
  'Hand the socket a fresh access token of the same user; it keeps its rooms and subscriptions.',
  Type.Object({ token: Type.String({ minLength: 1, maxLength: 4096 }) }, { additionalProperties: false }),
  Type.Object({ expiresAt: Type.String({ format: 'date-time' }) }),
);
export const AUTH_EXPIRED = serverEvent(
  'The access token expired: every event but auth:refresh is refused until one arrives; disconnected after WS_AUTH_GRACE.',
  Type.Object({}, { additionalProperties: false }),
);
export const SESSION_REVOKED = serverEvent(
  "The socket's session ended (on any node); the socket is disconnected.",
  Type.Object({ reason: Type.Union(REVOKE_REASONS.map((r) => Type.Literal(r))) }),
);
export const EXCEPTION = serverEvent('A failed event sent without an acknowledgement callback.', AckErrorSchema);

/** The events a client may emit on namespace N, typed for Socket.IO (payload, ack). */
export type ClientEvents<N extends NamespaceSpec> = {
  [K in keyof N['client']]: (payload: Static<N['client'][K]['payload']>, ack: (response: AckOf<Static<N['client'][K]['data']>>) => void) => void;
};

/** The events the server emits on namespace N. */
export type ServerEvents<N extends NamespaceSpec> = {
  [K in keyof N['server']]: (payload: Static<N['server'][K]['payload']>) => void;
};

export type AckOf<T> = { ok: true; data: T } | { ok: false; error: Static<typeof AckErrorSchema> };

export type PayloadOf<N extends NamespaceSpec, K extends keyof N['client']> = Static<N['client'][K]['payload']>;
export type DataOf<N extends NamespaceSpec, K extends keyof N['client']> = Static<N['client'][K]['data']>;
export type ServerPayloadOf<N extends NamespaceSpec, K extends keyof N['server']> = Static<N['server'][K]['payload']>;
