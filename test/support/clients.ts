import request from 'supertest';
import { io, Socket } from 'socket.io-client';
import type { AuthResponse } from '../../src/protocol';
import { checkAck, checkHandshakeError, checkServerEvent } from './contract';

/** A password account: its email is never null. */
export type AuthResult = AuthResponse & { user: { email: string } };

let counter = 0;
/** A unique email for this test run. */
export const uniqueEmail = (prefix = 'user') => `${prefix}.${process.pid}.${Date.now().toString(36)}.${counter++}@example.test`;

export const PASSWORD = 'correct horse battery';

export async function register(url: string, overrides: Partial<{ email: string; password: string; displayName: string }> = {}): Promise<AuthResult> {
  const body = { email: uniqueEmail(), password: PASSWORD, displayName: 'Tester', ...overrides };
  const res = await request(url).post('/auth/register').send(body).expect(201);
  return res.body as AuthResult;
}

export async function login(url: string, email: string, password = PASSWORD, userAgent = 'jest'): Promise<AuthResult> {
  const res = await request(url).post('/auth/login').set('User-Agent', userAgent).send({ email, password }).expect(200);
  return res.body as AuthResult;
}

export type Ack<T = unknown> = { ok: true; data: T } | { ok: false; error: { code: string; message: string } };

export type NamespaceName = '/chat' | '/dashboard' | '/live';
const namespaceOf = new WeakMap<Socket, NamespaceName>();

const openSockets = new Set<Socket>();

/** Connects and resolves once connected; rejects with the connect_error (its `data` holds the code). */
export function connect(
  url: string,
  namespace: NamespaceName,
  options: {
    token?: string;
    header?: string;
    query?: Record<string, string>;
    origin?: string;
    transports?: string[];
    headers?: Record<string, string>;
  } = {},
): Promise<Socket> {
  const socket = io(`${url}${namespace}`, {
    auth: options.token ? { token: options.token } : undefined,
    extraHeaders: {
      ...(options.header ? { Authorization: `Bearer ${options.header}` } : {}),
      ...(options.origin ? { Origin: options.origin } : {}),
      ...options.headers,
    },
    query: options.query,
    transports: options.transports ?? ['websocket'],
    reconnection: false,
    forceNew: true,
    timeout: 5000,
  });
  openSockets.add(socket);
  namespaceOf.set(socket, namespace);
  socket.onAny((event: string, payload: unknown) => checkServerEvent(namespace, event, payload));
  socket.on('disconnect', () => openSockets.delete(socket));
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', (error: Error & { data?: unknown }) => {
      checkHandshakeError(error.message, error.data);
      socket.close();
      openSockets.delete(socket);
      reject(error);
    });
  });
}

/** The connect_error of a refused handshake. */
export async function refusal(promise: Promise<Socket>): Promise<{ message: string; data?: { code: string; message: string } }> {
  try {
    const socket = await promise;
    socket.close();
  } catch (error) {
    return error as { message: string; data?: { code: string; message: string } };
  }
  throw new Error('expected the handshake to be refused');
}

export async function emitAck<T = unknown>(socket: Socket, event: string, payload?: unknown): Promise<Ack<T>> {
  const ack = (await socket.timeout(5000).emitWithAck(event, payload)) as Ack<T>;
  const namespace = namespaceOf.get(socket);
  if (namespace) checkAck(namespace, event, ack);
  return ack;
}

/** Next occurrence of `event` on the socket, or rejects after `ms`. */
export function nextEvent<T = unknown>(socket: Socket, event: string, ms = 3000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.off(event, handler);
      reject(new Error(`no ${event} within ${ms} ms`));
    }, ms);
    const handler = (payload: T) => {
      clearTimeout(timer);
      resolve(payload);
    };
    socket.once(event, handler);
  });
}

/** Resolves true if `event` arrives within `ms`, false otherwise. */
export function receives(socket: Socket, event: string, ms = 500): Promise<boolean> {
  return nextEvent(socket, event, ms).then(
    () => true,
    () => false,
  );
}

export function closeAllSockets(): void {
  for (const socket of openSockets) socket.close();
  openSockets.clear();
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
