import type { Chat, DataOf, Message, MessagePage, PayloadOf, ServerPayloadOf, UserSummary } from '../../../src/protocol';
import { dmRoomName, LIMITS } from '../../../src/protocol/names';
import { Auth } from './auth';
import { Backoff, BackoffOptions } from './backoff';
import { Connection, ConnectionState } from './connection';
import { laterId, SeenIds } from './dedupe';
import { Emitter } from './emitter';
import { isRetryable, ParleyAckError, ParleyError } from './errors';
import { LockFn } from './lock';
import { OutboxEntry, OutboxStore } from './outbox';

/** Server events the app sees; `auth:expired` and `session:revoked` are the SDK's business. */
export type ChatServerEvent = Exclude<keyof Chat['server'] & string, 'auth:expired' | 'session:revoked'>;

export type ChatEvents = { [K in ChatServerEvent]: (payload: ServerPayloadOf<Chat, K>) => void } & {
  state: (state: ConnectionState) => void;
  /** A room joined again after a reconnect (its missed messages came as `message:new` first). */
  resumed: (data: { room: string; online: UserSummary[] }) => void;
  /** More messages changed while away than a resume replays: reload the room's history. */
  stale: (data: { room: string }) => void;
  /** A room could not be joined again after a reconnect (banned, made private…): it is dropped. */
  rejoinFailed: (data: { room: string; error: ParleyError }) => void;
  /** The outbox changed: the entries not yet acknowledged, oldest first. */
  outbox: (entries: OutboxEntry[]) => void;
  /** An outbox entry the server refused for good (it is removed). */
  failed: (data: { entry: OutboxEntry; error: ParleyError }) => void;
};

export interface ChatOptions {
  connection: Connection<Chat>;
  auth: Auth;
  outbox: OutboxStore;
  lock: LockFn;
  /** Waits between sends the server failed (INTERNAL, no answer, RATE_LIMITED). */
  backoff?: BackoffOptions;
}

/** Pages of a DM read back after a reconnect, newest first, before giving up on older gaps. */
const DM_CATCH_UP_PAGES = 5;
/** Answers after which the outbox gives an entry up: a final refusal of the request itself. */
const FINAL_SEND = new Set(['VALIDATION_FAILED', 'FORBIDDEN', 'NOT_FOUND', 'LIMIT_EXCEEDED']);

interface Pending {
  resolve: (message: Message) => void;
  reject: (error: ParleyError) => void;
}

/**
 * `/chat`. Joined rooms are re-joined after every reconnect with `since` (paging until
 * `hasMore` is false; `updated` comes as `message:updated`), DMs read back by history, and
 * messages reach the app once: `message:new` and `dm:new` are de-duplicated by id. Sends go
 * through the outbox and leave only once the rooms are re-joined.
 */
export class ChatClient extends Emitter<ChatEvents> {
  private readonly conn: Connection<Chat>;
  private readonly auth: Auth;
  private readonly store: OutboxStore;
  /** joined rooms and the last message id seen in each */
  private readonly rooms = new Map<string, { lastSeen?: string }>();
  /** DM rooms seen, for the catch-up after a reconnect */
  private readonly dms = new Map<string, { lastSeen?: string }>();
  private seen = new SeenIds();
  private readonly pending = new Map<string, Pending>();
  private readonly sendRetry: Backoff;
  private flushing: Promise<void> | null = null;
  private flushAgain = false;
  private lastCreatedAt = 0;
  /** the user of the last sign-in (auth forgets it on sign-out, before `forget` runs) */
  private lastUserId: string | null;

  constructor(private readonly options: ChatOptions) {
    super();
    this.conn = options.connection;
    this.auth = options.auth;
    this.store = options.outbox;
    this.sendRetry = new Backoff({ initialMs: 1000, maxMs: 30_000, ...options.backoff });
    this.conn.on('state', (state) => {
      this.emit('state', state);
      if (state.status === 'connected') this.flush();
    });
    this.conn.onEvent('message:new', (m) => this.deliver('message:new', m));
    this.conn.onEvent('dm:new', (m) => this.deliver('dm:new', m));
    for (const event of [
      'message:updated',
      'message:deleted',
      'presence:join',
      'presence:leave',
      'typing',
      'room:read',
      'notification',
      'exception',
    ] as const) {
      this.conn.onEvent(event, (payload) => (this.emit as (e: string, p: unknown) => void)(event, payload));
    }
    for (const event of ['room:removed', 'room:deleted'] as const) {
      this.conn.onEvent(event, (payload) => {
        this.rooms.delete(payload.room);
        (this.emit as (e: string, p: unknown) => void)(event, payload);
      });
    }
    this.lastUserId = this.auth.userId;
    this.auth.on('user', (user) => {
      if (user) this.lastUserId = user.id;
    });
    this.auth.on('signedOut', (info) => void this.forget(info.reason === 'logout' || info.reason === 'logout_all'));
  }

  get state(): ConnectionState {
    return this.conn.state;
  }

  /** Rooms re-joined after a reconnect. */
  get joinedRooms(): string[] {
    return [...this.rooms.keys()];
  }

  connect(): this {
    this.conn.start();
    return this;
  }

  close(): void {
    this.conn.close();
  }

  /** Joins (once connected); the room is re-joined after every reconnect until `leave`. */
  async join(room: string): Promise<DataOf<Chat, 'room:join'>> {
    const data = await this.conn.request('room:join', { room });
    this.track(room, data.history);
    return data;
  }

  async leave(room: string): Promise<void> {
    this.rooms.delete(room);
    if (this.conn.socket.connected) await this.conn.request('room:leave', { room });
  }

  /**
   * Sends through the outbox: resolves with the stored message once acknowledged (across
   * reconnects); rejects when the server refuses it for good, or when the user signs out.
   */
  send(room: string, body: string, clientMsgId?: string): Promise<Message> {
    return this.enqueue('room', room, body, clientMsgId);
  }

  /** A DM (`dm:send`), through the outbox like `send`. */
  sendDm(to: string, body: string, clientMsgId?: string): Promise<Message> {
    return this.enqueue('dm', to, body, clientMsgId);
  }

  /** The outbox entries of the signed-in user (after a reload, those of the previous page too). */
  async pendingMessages(): Promise<OutboxEntry[]> {
    const userId = this.auth.userId;
    return userId ? this.store.list(userId) : [];
  }

  /** A page of history, oldest first (`before`: a message id; the latest page without it). */
  async history(room: string, options: { before?: string; limit?: number } = {}): Promise<MessagePage> {
    const page = await this.conn.request('message:history', { room, ...options });
    if (room.startsWith('dm:')) this.trackDm(room, page.messages);
    for (const m of page.messages) this.seen.add(m.id);
    return page;
  }

  /** The DM room with another user. */
  dmRoom(userId: string): string {
    return dmRoomName(this.auth.userId ?? '', userId);
  }

  /** Typing indicators are volatile: dropped while disconnected, never queued. */
  typing(room: string, typing: boolean): void {
    if (this.conn.state.status === 'connected') void this.conn.emitNow('typing', { room, typing }).catch(() => undefined);
  }

  async presence(room: string): Promise<UserSummary[]> {
    return (await this.conn.request('presence:list', { room })).online;
  }

  /** Edits your own message: the stored message (the room gets `message:updated`). */
  edit(id: string, body: string): Promise<Message> {
    return this.conn.request('message:edit', { id, body });
  }

  /** Deletes a message (yours, or any when you moderate the room): a tombstone stays. */
  async deleteMessage(id: string): Promise<void> {
    await this.conn.request('message:delete', { id });
  }

  react(id: string, emoji: string): Promise<Message> {
    return this.conn.request('reaction:add', { id, emoji });
  }

  unreact(id: string, emoji: string): Promise<Message> {
    return this.conn.request('reaction:remove', { id, emoji });
  }

  /** Moves the read marker forward (never back); your other sockets get `room:read`. */
  markRead(room: string, messageId: string): Promise<DataOf<Chat, 'room:read'>> {
    return this.conn.request('room:read', { room, messageId });
  }

  /** Any `/chat` event, typed (edits, reactions, read markers…); throws `ParleyAckError`. */
  request<K extends keyof Chat['client'] & string>(event: K, payload: PayloadOf<Chat, K>): Promise<DataOf<Chat, K>> {
    return this.conn.request(event, payload);
  }

  /** After every handshake: every joined room with `since`, then the DMs. */
  async resume(): Promise<void> {
    for (const [room, state] of [...this.rooms]) await this.catchUp(room, state);
    for (const [room, state] of [...this.dms]) await this.catchUpDm(room, state);
  }

  private async catchUp(room: string, state: { lastSeen?: string }): Promise<void> {
    let since = state.lastSeen;
    let first = true;
    for (;;) {
      let data: DataOf<Chat, 'room:join'>;
      try {
        data = await this.resumeCall('room:join', since ? { room, since } : { room });
      } catch (error) {
        const code = (error as ParleyError).code;
        if (code === 'NOT_FOUND' && since) {
          // `since` is gone (the room was emptied): start over from the latest page.
          since = state.lastSeen = undefined;
          continue;
        }
        if (FINAL_SEND.has(code)) {
          this.rooms.delete(room);
          this.emit('rejoinFailed', { room, error: error as ParleyError });
          return;
        }
        throw error;
      }
      for (const m of data.history) this.deliver('message:new', m);
      for (const m of data.updated ?? []) this.emit('message:updated', m);
      if (data.hasMoreUpdated) this.emit('stale', { room });
      if (first) this.emit('resumed', { room, online: data.online });
      first = false;
      if (!since || !data.hasMore || data.history.length === 0) return;
      since = state.lastSeen;
    }
  }

  private async catchUpDm(room: string, state: { lastSeen?: string }): Promise<void> {
    const pages: Message[][] = [];
    let before: string | undefined;
    for (let i = 0; i < DM_CATCH_UP_PAGES; i++) {
      const page = await this.resumeCall('message:history', { room, limit: LIMITS.historyPageMax, ...(before ? { before } : {}) });
      pages.unshift(page.messages);
      const oldest = page.messages[0]?.id;
      if (!page.hasMore || !oldest || (state.lastSeen && oldest <= state.lastSeen)) break;
      before = oldest;
    }
    for (const m of pages.flat()) if (!state.lastSeen || m.id > state.lastSeen) this.deliver('dm:new', m);
  }

  /**
   * A resume request; RATE_LIMITED is waited out (many rooms re-joined at once can exceed the
   * per-socket event limit), anything else fails the resume, which starts over on a new connection.
   */
  private async resumeCall<K extends 'room:join' | 'message:history'>(event: K, payload: PayloadOf<Chat, K>): Promise<DataOf<Chat, K>> {
    const retry = new Backoff({ initialMs: 500, maxMs: 4000 });
    for (;;) {
      try {
        return await this.conn.emitNow(event, payload);
      } catch (error) {
        if ((error as ParleyError).code !== 'RATE_LIMITED' || retry.attempts >= 8) throw error;
        // at least half the ceiling: the limit's window has to pass, a wait near 0 would not help
        await sleep(retry.ceiling(retry.attempts) / 2 + retry.next() / 2);
      }
    }
  }

  private track(room: string, messages: Message[]): void {
    const state = this.rooms.get(room) ?? {};
    for (const m of messages) {
      this.seen.add(m.id);
      state.lastSeen = laterId(state.lastSeen, m.id);
    }
    this.rooms.set(room, state);
  }

  private trackDm(room: string, messages: Message[]): void {
    const state = this.dms.get(room) ?? {};
    for (const m of messages) state.lastSeen = laterId(state.lastSeen, m.id);
    this.dms.set(room, state);
  }

  /** Hands a message to the app unless it already has it. */
  private deliver(event: 'message:new' | 'dm:new', m: Message): void {
    if (m.clientMsgId && m.sender.id === this.auth.userId) this.settle(m.clientMsgId, m);
    if (!this.seen.add(m.id)) return;
    if (event === 'dm:new') this.trackDm(m.room, [m]);
    else {
      const state = this.rooms.get(m.room);
      if (state) state.lastSeen = laterId(state.lastSeen, m.id);
    }
    this.emit(event, m);
  }

  private settle(clientMsgId: string, message: Message): void {
    this.pending.get(clientMsgId)?.resolve(message);
    this.pending.delete(clientMsgId);
  }

  private async enqueue(kind: OutboxEntry['kind'], to: string, body: string, clientMsgId = newId()): Promise<Message> {
    if (!this.auth.userId) await this.auth.token();
    const userId = (this.lastUserId = this.auth.userId);
    if (!userId) throw new ParleyAckError('CLOSED', 'Not signed in', kind === 'room' ? 'message:send' : 'dm:send');
    // Strictly increasing, so sends made in the same millisecond keep their order.
    this.lastCreatedAt = Math.max(Date.now(), this.lastCreatedAt + 1);
    const entry: OutboxEntry = { clientMsgId, userId, kind, to, body, createdAt: this.lastCreatedAt };
    const settled = new Promise<Message>((resolve, reject) => this.pending.set(clientMsgId, { resolve, reject }));
    await this.store.put(entry);
    await this.changed(userId);
    this.flush();
    return settled;
  }

  /** Sends the outbox, oldest first, one at a time (order kept), under a lock shared by tabs. */
  private flush(): void {
    if (this.conn.state.status !== 'connected') return;
    if (this.flushing) {
      this.flushAgain = true;
      return;
    }
    const userId = this.auth.userId;
    if (!userId) return;
    this.flushing = this.options
      .lock(`parley-outbox:${userId}`, () => this.drain(userId))
      .catch(() => undefined)
      .finally(() => {
        this.flushing = null;
        if (this.flushAgain) {
          this.flushAgain = false;
          this.flush();
        }
      });
  }

  private async drain(userId: string): Promise<void> {
    for (;;) {
      if (this.conn.state.status !== 'connected' || this.auth.userId !== userId) return;
      const [entry] = await this.store.list(userId);
      if (!entry) return;
      const event = entry.kind === 'room' ? 'message:send' : 'dm:send';
      try {
        // The server answers FORBIDDEN to a send in a room this socket is not in: join first.
        if (entry.kind === 'room' && !this.rooms.has(entry.to))
          this.track(entry.to, (await this.conn.emitNow('room:join', { room: entry.to })).history);
        const message =
          entry.kind === 'room'
            ? await this.conn.emitNow('message:send', { room: entry.to, body: entry.body, clientMsgId: entry.clientMsgId })
            : await this.conn.emitNow('dm:send', { to: entry.to, body: entry.body, clientMsgId: entry.clientMsgId });
        await this.store.delete(entry.clientMsgId);
        this.sendRetry.reset();
        this.deliver(entry.kind === 'room' ? 'message:new' : 'dm:new', message);
        this.settle(entry.clientMsgId, message);
      } catch (caught) {
        const error = caught instanceof ParleyError ? caught : new ParleyAckError('INTERNAL', String(caught), event);
        if (error.code === 'DISCONNECTED') return;
        if (isRetryable(error.code)) {
          await sleep(this.sendRetry.next());
          continue;
        }
        if (!FINAL_SEND.has(error.code)) return; // signed out or token trouble: kept for later
        await this.store.delete(entry.clientMsgId);
        this.pending.get(entry.clientMsgId)?.reject(error);
        this.pending.delete(entry.clientMsgId);
        this.emit('failed', { entry, error });
      }
      await this.changed(userId);
    }
  }

  private async changed(userId: string): Promise<void> {
    this.emit('outbox', await this.store.list(userId));
  }

  /** Signed out: no rooms to re-join; an own logout also empties the outbox of that user. */
  private async forget(clearOutbox: boolean): Promise<void> {
    const error = new ParleyAckError(
      'CLOSED',
      clearOutbox ? 'Signed out' : 'Signed out; the message stays in the outbox until this user signs in again',
      'message:send',
    );
    for (const pending of this.pending.values()) pending.reject(error);
    this.pending.clear();
    this.rooms.clear();
    this.dms.clear();
    this.seen = new SeenIds();
    const userId = this.lastUserId;
    if (!clearOutbox || !userId) return;
    for (const entry of await this.store.list(userId)) await this.store.delete(entry.clientMsgId);
    this.emit('outbox', []);
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A clientMsgId: a UUID where the platform has one (secure contexts), random hex otherwise. */
export function newId(): string {
  const crypto = globalThis.crypto;
  if (typeof crypto?.randomUUID === 'function') return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
}
