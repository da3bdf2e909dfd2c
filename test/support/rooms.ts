import request from 'supertest';
import { Socket } from 'socket.io-client';
import type { Message } from '../../src/protocol';
import { Ack, AuthResult, connect, emitAck } from './clients';

/** Helpers for suites about rooms: REST calls as a user, acks that must succeed. */

export const data = <T>(ack: Ack<T>): T => {
  if (!ack.ok) throw new Error(`expected ok, got ${ack.error.code}: ${ack.error.message}`);
  return ack.data;
};

let counter = 0;
export const uniqueRoom = (prefix = 'r') => `${prefix}-${process.pid.toString(36)}-${Date.now().toString(36)}-${counter++}`;

export const bearer = (who: AuthResult) => ({ Authorization: `Bearer ${who.accessToken}` });

export function api(url: string, who: AuthResult) {
  const auth = bearer(who);
  return {
    get: (path: string) => request(url).get(path).set(auth),
    post: (path: string, body?: object) => request(url).post(path).set(auth).send(body),
    put: (path: string, body?: object) =>
      request(url)
        .put(path)
        .set(auth)
        .send(body ?? {}),
    patch: (path: string, body: object) => request(url).patch(path).set(auth).send(body),
    delete: (path: string) => request(url).delete(path).set(auth),
  };
}

export async function chatSocket(url: string, who: AuthResult): Promise<Socket> {
  return connect(url, '/chat', { token: who.accessToken });
}

/** Joins and sends one message; the stored message. */
export async function post(socket: Socket, room: string, body: string): Promise<Message> {
  data(await emitAck(socket, 'room:join', { room }));
  return data(await emitAck<Message>(socket, 'message:send', { room, body }));
}
