import { INestApplicationContext } from '@nestjs/common';
import { IoAdapter } from '@nestjs/platform-socket.io';
import { MessageMappingProperties } from '@nestjs/websockets';
import { firstValueFrom, isObservable } from 'rxjs';
import cors from 'cors';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Writable } from 'node:stream';
import type { Server, ServerOptions, Socket } from 'socket.io';
import { AppConfig } from '../config/app-config';
import { requestIdFrom } from '../logging/request-id';
import { MetricsService } from '../metrics/metrics.service';
import { EngineAdmission } from './engine-admission';

/** "Frames over 64 kB are refused" (kB = 1000 bytes); a larger frame closes that connection. */
export const MAX_FRAME_BYTES = 64_000;

type AdapterFactory = NonNullable<ServerOptions['adapter']>;

/** Socket.IO calls any-listeners with the socket as `this` and the event name first. */
type AnyListener = (this: Socket, event: string, ...args: unknown[]) => Promise<void>;

/** Each socket's gateway handlers, by event (Nest binds one per handler and socket). */
const handlerTables = new WeakMap<Socket, Map<string, MessageMappingProperties['callback']>>();

/**
 * Engine-level CORS for the long-polling transport: it reflects any origin so that a refused
 * browser still receives the namespace middleware's `ORIGIN_NOT_ALLOWED` (a CORS failure
 * would hide it); the origin decision itself is made in the handshake middleware. WebSocket
 * upgrades skip it: browsers apply no CORS to them, and Engine.IO ran it on every handshake.
 */
const pollingCors = cors({ origin: true, credentials: false });
const corsForPolling = (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void): void => {
  if (req.headers.upgrade === undefined) pollingCors(req, res, next);
  else next();
};

/** Our Socket.IO server settings. */
export class ParleyIoAdapter extends IoAdapter {
  private adapterFactory: AdapterFactory | null = null;
  private readonly dispatch: AnyListener;

  constructor(
    app: INestApplicationContext,
    private readonly config: AppConfig,
    private readonly metrics: MetricsService,
  ) {
    super(app);
    this.dispatch = dispatcher(metrics);
  }

  /**
   * The acknowledgement protocol, in one place: a handler's result goes back as
   * `{ ok: true, data }`; a failure has already been answered by WsExceptionFilter (Nest's
   * proxy then resolves to undefined). No rxjs pipelines (the profile under fan-out load showed
   * Nest's, and the interceptor's AsyncResource binding, among the largest per-event costs), and
   * one table and one shared listener per socket instead of a closure per event: an idle socket
   * costs less memory.
   */
  override bindMessageHandlers(socket: Socket, handlers: MessageMappingProperties[]): void {
    let table = handlerTables.get(socket);
    if (!table) {
      table = new Map();
      handlerTables.set(socket, table);
      socket.onAny(this.dispatch);
    }
    for (const { message, callback } of handlers) table.set(String(message), callback);
  }

  /** Cross-node adapter (Redis), set before the gateways start. */
  useAdapter(factory: AdapterFactory): void {
    this.adapterFactory = factory;
  }

  override createIOServer(port: number, options?: ServerOptions): Server {
    const admission = new EngineAdmission(this.config);
    const server = super.createIOServer(port, {
      ...options,
      transports: ['websocket', 'polling'],
      maxHttpBufferSize: MAX_FRAME_BYTES,
      serveClient: false,
      allowEIO3: false,
      allowRequest: admission.allowRequest,
      ...(this.adapterFactory ? { adapter: this.adapterFactory } : {}),
    } as ServerOptions) as Server;
    server.engine.use(corsForPolling);
    server.engine.on('connection', coalesceWrites);
    server.engine.on('connection', admission.onConnection);
    // Engine.IO's handshake request never reaches Express: it gets its id (and returns it) here.
    server.engine.on('initial_headers', (headers: Record<string, string>, req: IncomingMessage & { id?: string }) => {
      req.id ??= requestIdFrom(req.headers['x-request-id']);
      headers['X-Request-Id'] = req.id;
    });
    return server;
  }
}

/** The one listener every socket shares: the event's handler, its result acknowledged as `{ ok, data }`. */
function dispatcher(metrics: MetricsService): AnyListener {
  return async function dispatch(this: Socket, event: string, ...args: unknown[]): Promise<void> {
    const callback = handlerTables.get(this)?.get(event);
    if (!callback || !this.connected) return;
    const ack = typeof args[args.length - 1] === 'function' ? (args.pop() as (response: unknown) => void) : undefined;
    const payload = args.length <= 1 ? args[0] : args;
    let result: unknown = await callback(payload, ack);
    if (isObservable(result)) result = await firstValueFrom(result, { defaultValue: undefined });
    if (result === undefined) return;
    metrics.wsEvents.inc({ event, outcome: 'ok' });
    ack?.({ ok: true, data: result });
  };
}

interface EngineConnection {
  transport: { name: string; socket?: { _socket?: Partial<Writable> } };
  on(event: 'flush', listener: (packets: readonly unknown[]) => void): void;
}

/**
 * One write (syscall) per flush instead of one per frame. Engine.IO sends a connection's first
 * packet at once and queues the rest until that write completes, then flushes the queue as
 * one batch, framing each packet on its own: corking the TCP socket for that flush joins the
 * frames into one writev. After a group commit a socket gets several messages and acks in a
 * burst; the syscalls cost more of the server's CPU than anything else under fan-out.
 * `_socket` is ws's TCP socket (private, but what Engine.IO itself reads).
 */
function coalesceWrites(conn: EngineConnection): void {
  conn.on('flush', (packets) => {
    // one packet: ws already writes its frame in one writev, and corking would only cost
    if (packets.length < 2 || conn.transport.name !== 'websocket') return;
    const tcp = conn.transport.socket?._socket;
    if (typeof tcp?.cork !== 'function' || typeof tcp.uncork !== 'function') return;
    tcp.cork();
    process.nextTick(() => tcp.uncork?.());
  });
}
