import { Injectable } from '@nestjs/common';
import { ChatEmitter } from '../chat/chat-emitter';
import { MessagesService } from '../chat/messages.service';
import { PresenceService } from '../chat/presence.service';
import { AppError } from '../common/errors';
import { parseDurationMs } from '../config/duration';
import { StatsService } from '../dashboard/stats.service';
import { parseChannelName } from '../live/channel-rules';
import { ChannelTokensService } from '../live/channel-tokens.service';
import { LiveService } from '../live/live.service';
import {
  ApiStats,
  botSenderId,
  CHANNEL_TOKEN_TTL,
  ChannelToken,
  Message,
  MessagePage,
  PublicationCreated,
  Role,
  User,
  UserSummary,
} from '../protocol';
import { RealtimeService } from '../realtime/realtime.service';
import { parseRoom } from '../rooms/room-names';
import { SessionsService } from '../sessions/sessions.service';
import { BlocklistService } from '../users/blocklist.service';
import { toUser, toUserSummary } from '../users/user.view';
import { UsersService } from '../users/users.service';
import { WebhooksService } from '../webhooks/webhooks.service';
import { ApiKeyPrincipal } from './api-keys.service';

/**
 * What /api/v1 does, through the same services the gateways use: messages go through the
 * chat's group commit, publications through /live's history, blocks through sessions.
 */
@Injectable()
export class ServerApiService {
  constructor(
    private readonly messages: MessagesService,
    private readonly emitter: ChatEmitter,
    private readonly presence: PresenceService,
    private readonly live: LiveService,
    private readonly channelTokens: ChannelTokensService,
    private readonly realtime: RealtimeService,
    private readonly users: UsersService,
    private readonly blocklist: BlocklistService,
    private readonly sessions: SessionsService,
    private readonly stats: StatsService,
    private readonly webhooks: WebhooksService,
  ) {}

  /** The key's bot posts: stored before the answer, delivered like any message; a repeated clientMsgId gives the first. */
  async postMessage(key: ApiKeyPrincipal, roomName: string, body: string, clientMsgId?: string): Promise<{ message: Message; created: boolean }> {
    const room = parseRoom(roomName);
    if (room.kind === 'dm') throw new AppError('VALIDATION_FAILED', 'Bots post into rooms, not direct conversations');
    const sender = { id: botSenderId(key.id), displayName: key.name, bot: true };
    const result = await this.messages.append({ room: room.name, sender, body, clientMsgId });
    if (result.created) this.emitter.audience(room.name)?.emit('message:new', result.message);
    return result;
  }

  /** Moderation: any message of any room, through the message lifecycle's delete (tombstone, `message:deleted`). */
  async deleteMessage(roomName: string, id: string): Promise<void> {
    const room = parseRoom(roomName);
    await this.messages.deleteMessage(id, { kind: 'system' }, room.name);
  }

  async notify(userId: string, type: string, data: unknown): Promise<void> {
    await this.existingUser(userId);
    this.realtime.notifyUser(userId, { type, data, at: new Date().toISOString() });
  }

  async publish(channel: string, data: unknown, idempotencyKey?: string): Promise<{ answer: PublicationCreated; created: boolean }> {
    const { publication, created } = await this.live.publish({ channel, data, idempotencyKey });
    return { answer: { channel, offset: publication.offset }, created };
  }

  async channelToken(channel: string, userId: string, ttl?: string): Promise<ChannelToken> {
    if (parseChannelName(channel).kind !== 'private') throw new AppError('VALIDATION_FAILED', 'Channel tokens are for private: channels');
    const ttlMs = ttl === undefined ? CHANNEL_TOKEN_TTL.defaultMs : parseDurationMs(ttl);
    if (ttlMs === null || ttlMs < CHANNEL_TOKEN_TTL.minMs || ttlMs > CHANNEL_TOKEN_TTL.maxMs) {
      throw new AppError('VALIDATION_FAILED', 'ttl must be a duration from 30s to 24h');
    }
    await this.existingUser(userId);
    return this.channelTokens.issue(userId, channel, ttlMs);
  }

  /** Every session ends (`session:revoked { reason: "blocked" }`); every node refuses the user until unblocked. */
  async block(userId: string, reason?: string): Promise<void> {
    const user = await this.users.findById(userId);
    if (!user) throw new AppError('NOT_FOUND', 'No such user');
    const blocked = await this.blocklist.set(userId, true, reason ?? null, (manager) =>
      this.webhooks.emit('user.blocked', { user: toUserSummary(user), reason: reason ?? null }, manager),
    );
    if (!blocked) throw new AppError('NOT_FOUND', 'No such user');
    await this.sessions.endAllForUser(userId, 'blocked');
    await this.realtime.endExternalSockets(userId, 'blocked');
  }

  async unblock(userId: string): Promise<void> {
    if (!(await this.blocklist.set(userId, false))) throw new AppError('NOT_FOUND', 'No such user');
  }

  async setRole(userId: string, role: Role): Promise<User> {
    const user = await this.users.setRoleById(userId, role);
    if (!user) throw new AppError('NOT_FOUND', 'No such user');
    return toUser(user);
  }

  async presenceOf(roomName: string): Promise<{ online: UserSummary[] }> {
    return { online: await this.presence.list(parseRoom(roomName).name) };
  }

  history(roomName: string, before: string | undefined, limit: number | undefined): Promise<MessagePage> {
    return this.messages.page(parseRoom(roomName).name, before, limit);
  }

  async statistics(): Promise<ApiStats> {
    const { connections, onlineUsers, messagesPerMinute, nodes } = await this.stats.snapshot();
    return { connections, onlineUsers, messagesPerMinute, nodes };
  }

  private async existingUser(userId: string): Promise<void> {
    if (!(await this.users.findById(userId))) throw new AppError('NOT_FOUND', 'No such user');
  }
}
