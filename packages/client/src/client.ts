import { Manager } from 'socket.io-client';
import type { Chat, Dashboard, Live, NamespaceSpec } from '../../../src/protocol';
import { RoomsApi, TwoFactorApi, UsersApi } from './api';
import { Auth, SignedOut } from './auth';
import { BackoffOptions } from './backoff';
import { ChatClient } from './chat';
import { Connection } from './connection';
import { DashboardClient } from './dashboard';
import { LiveClient } from './live';
import { defaultLock, LockFn } from './lock';
import { indexedDbOutbox, memoryOutbox, OutboxStore } from './outbox';
import { FetchFn } from './rest';
import { RoomDirectory } from './room-directory';
import { browserSessionStore, memorySessionStore, SessionStore } from './session-store';

export interface ParleyClientOptions {
  /** The server, e.g. `https://chat.example.com`; in a page it serves, leave it out (same origin). */
  url?: string;
  /** For apps whose access tokens come from elsewhere (then no REST sign-in is used); null = signed out. */
  getToken?: () => Promise<string | null>;
  /** Where the refresh token and user are kept: IndexedDB + localStorage in browsers, memory elsewhere. */
  session?: SessionStore;
  /** Unacknowledged sends: IndexedDB in browsers, memory elsewhere (`fileOutbox` from `@parley/client/node`). */
  outbox?: OutboxStore;
  /** Reconnect waits: full jitter, by default a ceiling of 500 ms doubling up to 10 s. */
  backoff?: BackoffOptions;
  /** Waits before sending again what the server failed (INTERNAL, no answer, RATE_LIMITED): 1 s doubling up to 30 s. */
  sendBackoff?: BackoffOptions;
  /** How long a request waits for its acknowledgement; default 10 s. */
  ackTimeoutMs?: number;
  /** Socket.IO transports, in order of preference; default websocket, then long-polling. */
  transports?: Array<'websocket' | 'polling'>;
  /** Extra REST headers (e.g. User-Agent in Node). */
  headers?: Record<string, string>;
  fetch?: FetchFn;
  /** Serialises refreshes and outbox flushes; default Web Locks, or a queue in this process. */
  lock?: LockFn;
}

const inBrowser = () => typeof (globalThis as { document?: unknown }).document !== 'undefined';

/**
 * The entry point: `client.auth` signs in and keeps the access token fresh; `chat()`,
 * `live()` and `dashboard()` are the namespaces (one underlying connection, created on first
 * use; call `.connect()`).
 */
export class ParleyClient {
  readonly auth: Auth;
  /** Rooms, members and bans (REST). */
  readonly rooms: RoomsApi;
  /** People by name (REST). */
  readonly users: UsersApi;
  /** Two-factor setup, enable and disable for the signed-in user. */
  readonly twoFactor: TwoFactorApi;
  private readonly manager: Manager;
  private readonly lock: LockFn;
  private readonly outbox: OutboxStore;
  private chatClient: ChatClient | null = null;
  private liveClient: LiveClient | null = null;
  private dashboardClient: DashboardClient | null = null;
  private directory: RoomDirectory | null = null;
  private readonly connections: Array<Connection<NamespaceSpec>> = [];

  constructor(private readonly options: ParleyClientOptions = {}) {
    const url = options.url?.replace(/\/+$/, '') ?? '';
    this.lock = options.lock ?? defaultLock;
    this.outbox = options.outbox ?? (inBrowser() && globalThis.indexedDB ? indexedDbOutbox() : memoryOutbox());
    this.auth = new Auth({
      baseUrl: url,
      fetch: options.fetch ?? ((input, init) => globalThis.fetch(input, init)),
      store: options.session ?? (inBrowser() && globalThis.localStorage ? browserSessionStore() : memorySessionStore()),
      lock: this.lock,
      getToken: options.getToken,
      headers: options.headers,
    });
    this.rooms = new RoomsApi(this.auth);
    this.users = new UsersApi(this.auth);
    this.twoFactor = new TwoFactorApi(this.auth);
    const origin = url || (globalThis as { location?: { origin: string } }).location?.origin;
    if (!origin) throw new TypeError('ParleyClient: `url` is required outside a browser page');
    // Our reconnection, not socket.io-client's (see Connection); one connection for every namespace.
    this.manager = new Manager(origin, {
      reconnection: false,
      autoConnect: false,
      timeout: 10_000,
      transports: options.transports ?? ['websocket', 'polling'],
    });
  }

  /** Signed out (revoked, refresh refused, another tab, our own logout): show the reason; nothing reconnects. */
  onSignedOut(listener: (info: SignedOut) => void): () => void {
    return this.auth.on('signedOut', listener);
  }

  chat(): ChatClient {
    if (!this.chatClient) {
      const connection: Connection<Chat> = this.connection('/chat', () => chat.resume());
      const chat = new ChatClient({ connection, auth: this.auth, outbox: this.outbox, lock: this.lock, backoff: this.options.sendBackoff });
      this.chatClient = chat;
    }
    return this.chatClient;
  }

  /** The room list with unread counts, kept up to date from `chat()`'s events (call `reload()` first). */
  roomDirectory(): RoomDirectory {
    this.directory ??= new RoomDirectory({ list: () => this.rooms.list(), chat: this.chat(), userId: () => this.auth.userId });
    return this.directory;
  }

  live(): LiveClient {
    if (!this.liveClient) {
      const connection: Connection<Live> = this.connection('/live', () => live.resume());
      const live = new LiveClient(connection);
      this.liveClient = live;
    }
    return this.liveClient;
  }

  dashboard(): DashboardClient {
    this.dashboardClient ??= new DashboardClient(this.connection<Dashboard>('/dashboard'));
    return this.dashboardClient;
  }

  /** Closes every connection and stops the refresh timer (the stored session and outbox stay). */
  close(): void {
    for (const connection of this.connections) connection.dispose();
    this.auth.dispose();
  }

  private connection<N extends NamespaceSpec>(path: string, resume?: () => Promise<void>): Connection<N> {
    const connection = new Connection<N>({
      manager: this.manager,
      path,
      auth: this.auth,
      backoff: this.options.backoff,
      ackTimeoutMs: this.options.ackTimeoutMs,
      resume,
    });
    this.connections.push(connection as unknown as Connection<NamespaceSpec>);
    return connection;
  }
}
