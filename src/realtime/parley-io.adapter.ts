import { INestApplicationContext } from '@nestjs/common';
import { IoAdapter } from '@nestjs/platform-socket.io';
import { MessageMappingProperties } from '@nestjs/websockets';
import { firstValueFrom, isObservable } from 'rxjs';
import type { IncomingMessage } from 'node:http';
import type { Writable } from 'node:stream';
import type { Server, ServerOptions, Socket } from 'socket.io';
import { AppConfig } from '../config/app-config';
import { requestIdFrom } from '../logging/request-id';
import { MetricsService } from '../metrics/metrics.service';
import { EngineAdmission } from './engine-admission';

/** "Frames over 64 kB are refused" (kB = 1000 bytes); a larger frame closes that connection. */
export const MAX_FRAME_BYTES = 64_000;

type AdapterFactory = NonNullable<ServerOptions['adapter']>;

/**
 * Our Socket.IO server settings. Engine-level CORS reflects any origin so that a refused
 * browser still receives the namespace middleware's `ORIGIN_NOT_ALLOWED` (a CORS failure
 * would hide it); the origin decision itself is made in the handshake middleware.
 */
export class ParleyIoAdapter extends IoAdapter {
  private adapterFactory: AdapterFactory | null = null;

  constructor(
    app: INestApplicationContext,
    private readonly config: AppConfig,
    private readonly metrics: MetricsService,
  ) {
    super(app);
  }

  /**
   * The acknowledgement protocol, in one place: a handler's result goes back as
   * `{ ok: true, data }`; a failure has already been answered by WsExceptionFilter (Nest's
   * proxy then resolves to undefined). Plain listeners instead of Nest's per-socket rxjs
   * pipelines: the profile under fan-out load showed those (and the interceptor's
   * AsyncResource binding) among the largest per-event costs, and they cost memory per socket.
   */
  override bindMessageHandlers(socket: Socket, handlers: MessageMappingProperties[]): void {
    for (const { message, callback } of handlers) {
      const event = String(message);
      socket.on(event, async (...args: unknown[]) => {
        const ack = typeof args[args.length - 1] === 'function' ? (args.pop() as (response: unknown) => void) : undefined;
        const payload = args.length <= 1 ? args[0] : args;
        let result: unknown = await callback(payload, ack);
        if (isObservable(result)) result = await firstValueFrom(result, { defaultValue: undefined });
        if (result === undefined) return;
        this.metrics.wsEvents.inc({ event, outcome: 'ok' });
        ack?.({ ok: true, data: result });
      });
    }
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
      cors: { origin: true, credentials: false },
      allowRequest: admission.allowRequest,
      ...(this.adapterFactory ? { adapter: this.adapterFactory } : {}),
    } as ServerOptions) as Server;
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
