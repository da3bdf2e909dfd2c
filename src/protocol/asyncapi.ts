import { AckErrorSchema, ClientEventSpec, NamespaceSpec, ServerEventSpec } from './events';
import { TSchema } from './schema';

/**
 * The AsyncAPI 3.0 document of the Socket.IO namespaces, generated from their specs (never
 * written by hand). Each namespace is a channel; a client event is an operation the server
 * receives, with its acknowledgement as the reply; a server event is an operation it sends.
 */

export interface AsyncApiOptions {
  version: string;
  /** e.g. `localhost:3000` */
  host: string;
  protocol: 'ws' | 'wss';
}

type Json = Record<string, unknown>;

/** AsyncAPI component and operation keys allow `A-Z a-z 0-9 . _ -`. */
export const asyncApiKey = (namespace: NamespaceSpec, event: string) => `${namespace.path.slice(1)}.${event.replace(/[^A-Za-z0-9._-]/g, '_')}`;

/** Plain JSON of a schema (TypeBox keeps its own markers in symbol keys). */
const json = (schema: TSchema): Json => JSON.parse(JSON.stringify(schema)) as Json;

const ackSchema = (data: TSchema): Json => ({
  title: 'Ack',
  oneOf: [
    { type: 'object', required: ['ok', 'data'], properties: { ok: { const: true }, data: json(data) } },
    { type: 'object', required: ['ok', 'error'], properties: { ok: { const: false }, error: json(AckErrorSchema) } },
  ],
});

export function buildAsyncApi(namespaces: readonly NamespaceSpec[], options: AsyncApiOptions): Json {
  const channels: Json = {};
  const operations: Json = {};
  const messages: Json = {};
  for (const ns of namespaces) {
    const channelId = ns.path.slice(1);
    const channelMessages: Json = {};
    const ref = (key: string) => ({ $ref: `#/channels/${channelId}/messages/${key}` });
    for (const [event, spec] of Object.entries(ns.client) as Array<[string, ClientEventSpec]>) {
      const key = asyncApiKey(ns, event);
      messages[key] = { name: event, title: event, summary: spec.summary, payload: json(spec.payload) };
      messages[`${key}.ack`] = {
        name: `${event} (ack)`,
        title: `${event} acknowledgement`,
        summary: 'The acknowledgement callback',
        payload: ackSchema(spec.data),
      };
      channelMessages[key] = { $ref: `#/components/messages/${key}` };
      channelMessages[`${key}.ack`] = { $ref: `#/components/messages/${key}.ack` };
      operations[`${key}.receive`] = {
        action: 'receive',
        title: event,
        summary: spec.summary,
        channel: { $ref: `#/channels/${channelId}` },
        messages: [ref(key)],
        reply: { channel: { $ref: `#/channels/${channelId}` }, messages: [ref(`${key}.ack`)] },
      };
    }
    for (const [event, spec] of Object.entries(ns.server) as Array<[string, ServerEventSpec]>) {
      const key = `${asyncApiKey(ns, event)}.emitted`;
      messages[key] = { name: event, title: event, summary: spec.summary, payload: json(spec.payload) };
      channelMessages[key] = { $ref: `#/components/messages/${key}` };
      operations[`${key}.send`] = {
        action: 'send',
        title: event,
        summary: spec.summary,
        channel: { $ref: `#/channels/${channelId}` },
        messages: [ref(key)],
      };
    }
    channels[channelId] = { address: ns.path, title: ns.path, description: ns.summary, messages: channelMessages };
  }
  return {
    asyncapi: '3.1.0',
    info: {
      title: 'Parley real-time API',
      version: options.version,
      description:
        'Socket.IO namespaces (Socket.IO path /socket.io/, websocket and polling). Authenticate at the handshake with `auth: { token }` ' +
        'or an `Authorization: Bearer` header. Every client event takes an acknowledgement callback answering ' +
        '`{ ok: true, data }` or `{ ok: false, error: { code, message } }`; a refused handshake gives `connect_error` with `data: { code, message }`.',
    },
    defaultContentType: 'application/json',
    servers: {
      parley: { host: options.host, protocol: options.protocol, pathname: '/socket.io/', description: 'Socket.IO (Engine.IO v4)' },
    },
    channels,
    operations,
    components: { messages },
  };
}
