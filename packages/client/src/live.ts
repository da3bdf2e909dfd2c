import type { DataOf, Live, Publication, ServerPayloadOf } from '../../../src/protocol';
import { Connection, ConnectionState } from './connection';
import { ChannelCursor } from './dedupe';
import { Emitter } from './emitter';
import { ParleyError } from './errors';

export type LiveEvents = {
  state: (state: ConnectionState) => void;
  /** A publication, once, in offset order per channel (also those replayed after a reconnect). */
  publication: (publication: Publication) => void;
  notification: (payload: ServerPayloadOf<Live, 'notification'>) => void;
  /** The server dropped a subscription (`auth:refresh` brought a token that may not read it). */
  'channel:unsubscribed': (payload: ServerPayloadOf<Live, 'channel:unsubscribed'>) => void;
  /** After a reconnect some missed publications were no longer in history: reload that state. */
  gap: (data: { channel: string }) => void;
  /** A channel could not be subscribed again after a reconnect: it is dropped. */
  resubscribeFailed: (data: { channel: string; error: ParleyError }) => void;
  exception: (payload: ServerPayloadOf<Live, 'exception'>) => void;
};

interface Subscription {
  cursor: ChannelCursor;
  token?: string;
}

/**
 * `/live`. Subscriptions are renewed after every reconnect with `since` = the last offset seen,
 * and publications reach the app once, in order (a cursor per channel drops what is not newer).
 */
export class LiveClient extends Emitter<LiveEvents> {
  private readonly channels = new Map<string, Subscription>();

  constructor(private readonly conn: Connection<Live>) {
    super();
    conn.on('state', (state) => this.emit('state', state));
    conn.onEvent('publication', (p) => this.deliver(p));
    conn.onEvent('notification', (n) => this.emit('notification', n));
    conn.onEvent('exception', (e) => this.emit('exception', e));
    conn.onEvent('channel:unsubscribed', (payload) => {
      this.channels.delete(payload.channel);
      this.emit('channel:unsubscribed', payload);
    });
  }

  get state(): ConnectionState {
    return this.conn.state;
  }

  connect(): this {
    this.conn.start();
    return this;
  }

  close(): void {
    this.conn.close();
  }

  /** Subscribes (a `private:` channel needs a channel token); the answer's publications are the app's to render. */
  async subscribe(channel: string, options: { token?: string } = {}): Promise<DataOf<Live, 'channel:subscribe'>> {
    const data = await this.conn.request('channel:subscribe', { channel, ...(options.token ? { token: options.token } : {}) });
    const cursor = new ChannelCursor(data.offset);
    for (const p of data.publications) cursor.advance(p.offset);
    this.channels.set(channel, { cursor, token: options.token });
    return data;
  }

  async unsubscribe(channel: string): Promise<void> {
    this.channels.delete(channel);
    if (this.conn.socket.connected) await this.conn.request('channel:unsubscribe', { channel });
  }

  /** The last offset seen on a channel (what a resume asks after). */
  offset(channel: string): number | undefined {
    return this.channels.get(channel)?.cursor.offset;
  }

  /** After every handshake: each channel again, with `since`. */
  async resume(): Promise<void> {
    for (const [channel, sub] of [...this.channels]) {
      let data: DataOf<Live, 'channel:subscribe'>;
      try {
        data = await this.conn.emitNow('channel:subscribe', { channel, since: sub.cursor.offset, ...(sub.token ? { token: sub.token } : {}) });
      } catch (error) {
        const code = (error as ParleyError).code;
        if (code !== 'FORBIDDEN' && code !== 'VALIDATION_FAILED' && code !== 'LIMIT_EXCEEDED') throw error;
        this.channels.delete(channel);
        this.emit('resubscribeFailed', { channel, error: error as ParleyError });
        continue;
      }
      if (!data.recovered) this.emit('gap', { channel });
      for (const p of data.publications) this.deliver(p);
    }
  }

  private deliver(p: Publication): void {
    const sub = this.channels.get(p.channel);
    if (sub && !sub.cursor.advance(p.offset)) return;
    this.emit('publication', p);
  }
}
