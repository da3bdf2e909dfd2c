import { BeforeApplicationShutdown, Injectable } from '@nestjs/common';
import type { Principal } from '../auth/principal';
import { AppError } from '../common/errors';
import { AppConfig } from '../config/app-config';
import type { DataOf, Live, Publication } from '../protocol';
import { ParleyNamespace, ParleySocket } from '../realtime/events';
import { ChannelHistoryService, NewPublication } from './channel-history.service';
import { channelAccess, channelRoom, parseChannelName } from './channel-rules';
import { ChannelTokensService } from './channel-tokens.service';

type LiveSocket = ParleySocket<Live>;
const CHANNEL_PREFIX = channelRoom('');

/**
 * `/live` channels: who may subscribe, the history a subscriber gets, and publishing, whose
 * fan-out is one emit to the channel's Socket.IO room (every node through the adapter).
 */
@Injectable()
export class LiveService implements BeforeApplicationShutdown {
  private nsp: ParleyNamespace<Live> | null = null;

  constructor(
    private readonly config: AppConfig,
    private readonly history: ChannelHistoryService,
    private readonly tokens: ChannelTokensService,
  ) {}

  attach(nsp: ParleyNamespace<Live>): void {
    this.nsp = nsp;
  }

  async subscribe(
    socket: LiveSocket,
    channel: string,
    since: number | undefined,
    token: string | undefined,
  ): Promise<DataOf<Live, 'channel:subscribe'>> {
    const ref = parseChannelName(channel);
    const user = socket.data.user;
    const access = channelAccess(ref, user);
    if (access === 'forbidden') throw new AppError('FORBIDDEN', 'This channel is not yours to read');
    if (access === 'token') this.tokens.assertGrants(token, user.id, channel);
    const room = channelRoom(channel);
    if (!socket.rooms.has(room) && subscriptions(socket).length >= this.config.wsMaxChannelsPerSocket) {
      throw new AppError('LIMIT_EXCEEDED', `At most ${this.config.wsMaxChannelsPerSocket} channels per socket`);
    }
    // Subscribe before reading history: a publication meanwhile arrives live (maybe also in
    // the history; clients drop offsets they have seen) instead of being lost.
    const fresh = !socket.rooms.has(room);
    await socket.join(room);
    try {
      return { channel, ...(await this.history.recover(channel, since)) };
    } catch (error) {
      // a failed subscribe leaves nothing behind
      if (fresh) await socket.leave(room);
      throw error;
    }
  }

  async unsubscribe(socket: LiveSocket, channel: string): Promise<{ channel: string }> {
    parseChannelName(channel);
    await socket.leave(channelRoom(channel));
    return { channel };
  }

  /** After `auth:refresh`: channels the new token may no longer read are left (`admin:` after a demotion). */
  async recheck(socket: LiveSocket, user: Principal): Promise<void> {
    for (const channel of subscriptions(socket)) {
      const ref = parseChannelName(channel);
      if (channelAccess(ref, user) !== 'forbidden') continue;
      await socket.leave(channelRoom(channel));
      socket.emit('channel:unsubscribed', { channel, reason: 'forbidden' });
    }
  }

  /** Stores, then fans out (once, whatever the number of subscribers); a repeated idempotencyKey publishes nothing. */
  async publish(item: NewPublication): Promise<{ publication: Publication; created: boolean }> {
    parseChannelName(item.channel);
    const stored = await this.history.append(item);
    if (stored.created) this.nsp?.to(channelRoom(item.channel)).emit('publication', stored.publication);
    return stored;
  }

  /** SIGTERM: what was accepted is stored (and sent) before the sockets close. */
  beforeApplicationShutdown(): Promise<void> {
    return this.history.drain();
  }
}

function subscriptions(socket: LiveSocket): string[] {
  const channels: string[] = [];
  for (const room of socket.rooms) if (room.startsWith(CHANNEL_PREFIX)) channels.push(room.slice(CHANNEL_PREFIX.length));
  return channels;
}
