import { INestApplicationContext } from '@nestjs/common';
import { IoAdapter } from '@nestjs/platform-socket.io';
import type { Server, ServerOptions } from 'socket.io';
import { AppConfig } from '../config/app-config';

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
  ) {
    super(app);
  }

  /** Cross-node adapter (Redis), set before the gateways start. */
  useAdapter(factory: AdapterFactory): void {
    this.adapterFactory = factory;
  }

  override createIOServer(port: number, options?: ServerOptions): Server {
    const server = super.createIOServer(port, {
      ...options,
      transports: ['websocket', 'polling'],
      maxHttpBufferSize: MAX_FRAME_BYTES,
      serveClient: false,
      allowEIO3: false,
      cors: { origin: true, credentials: false },
      ...(this.adapterFactory ? { adapter: this.adapterFactory } : {}),
    } as ServerOptions) as Server;
    return server;
  }
}
