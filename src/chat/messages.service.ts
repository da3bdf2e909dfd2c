import { BeforeApplicationShutdown, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { DataSource, In, Repository } from 'typeorm';
import { Principal } from '../auth/principal';
import { AppError, describeCause } from '../common/errors';
import { newId } from '../common/ids';
import { RowSql, RowSqlFactory } from '../database/row-sql';
import { Statement, StatementWriter } from '../database/statement-writer';
import { MetricsService } from '../metrics/metrics.service';
import { LIMITS, parseRoomName, type Message, type MessagePage, type Reaction, type UserSummary } from '../protocol';
import { parseRoom } from '../rooms/room-names';
import { RoomAction } from '../rooms/room-policy';
import { RoomsService } from '../rooms/rooms.service';
import { toUserSummary } from '../users/user.view';
import { WebhooksService } from '../webhooks/webhooks.service';
import { ChangeWriter, MessageChange, StoredMessage } from './change-writer';
import { ChatEmitter } from './chat-emitter';
import { DmMembers } from './dm-members';
import { MessageEntity } from './message.entity';
import { parseReactions, storeReactions, toMessage } from './message.view';
import { MessageWriter } from './message-writer';

export interface NewMessage {
  room: string;
  /** A user, or a server API key's bot (`bot: true`: its name is stored with the message). */
  sender: UserSummary & { bot?: boolean };
  body: string;
  clientMsgId?: string;
  /** The other user of a DM (its message.unread names them). */
  recipient?: UserSummary;
}

/** Who deletes a message: a user (the room's rules apply), or the system (server API moderation: the caller authorised it). */
export type MessageActor = { kind: 'user'; user: Principal } | { kind: 'system' };

export interface ReadState {
  room: string;
  messageId: string;
  unread: number;
}

/**
 * The two indexes of a room's messages. MariaDB's planner, given both, may read (room,
 * changed_at) and sort for a query by id, or walk the primary key: queries name theirs (a
 * hint MySQL and MariaDB take; SQLite's planner picks right by itself).
 */
export const BY_ROOM_AND_ID = 'IDX_messages_room_id';
export const BY_ROOM_AND_CHANGE = 'IDX_messages_room_changed';

@Injectable()
export class MessagesService implements OnModuleInit, BeforeApplicationShutdown {
  private readonly logger = new Logger(MessagesService.name);
  private readonly writer: MessageWriter;
  private readonly changes: ChangeWriter;
  private closing = false;
  /** What the webhook rows of a message being written need beyond its row; only while webhooks are on. */
  private readonly writing = new Map<string, { senderName: string; recipient?: UserSummary }>();
  private readonly withWebhooks: boolean;

  /** Messages not read: exact up to the cap, the cap meaning "this many or more". */
  private readonly unreadSql: string;
  private readonly streakSql: string;
  private readonly sql: RowSql<MessageEntity>;
  private readonly reads: HistoryReads;

  constructor(
    rowSql: RowSqlFactory,
    @InjectRepository(MessageEntity) private readonly messages: Repository<MessageEntity>,
    @InjectDataSource() private readonly dataSource: DataSource,
    statements: StatementWriter,
    private readonly rooms: RoomsService,
    private readonly emitter: ChatEmitter,
    private readonly dmMembers: DmMembers,
    metrics: MetricsService,
    private readonly webhooks: WebhooksService,
  ) {
    const sql = rowSql.for(MessageEntity);
    this.sql = sql;
    this.reads = historyReads(dataSource, sql);
    this.withWebhooks = webhooks.enabled('message.created') || webhooks.enabled('message.unread');
    // Without webhooks the writer has no companion: a batch stays one plain INSERT.
    this.writer = new MessageWriter(
      sql,
      statements,
      (count) => {
        metrics.messagesStored.inc(count);
        if (this.withWebhooks && count > 0) webhooks.wake();
      },
      this.withWebhooks ? (inserted) => this.webhookRows(inserted) : undefined,
    );
    this.changes = new ChangeWriter(sql, statements, (ids) => this.loadStored(ids));
    // the message (deleted or not) with the other user's latest not-deleted message before it
    this.streakSql = `SELECT m.id AS id, CASE WHEN m.deleted_at IS NULL THEN 0 ELSE 1 END AS deleted, (SELECT p.id FROM messages p ${indexHint(dataSource, BY_ROOM_AND_ID)} WHERE p.room = m.room AND p.id < ? AND p.sender_id <> ? AND p.deleted_at IS NULL ORDER BY p.id DESC LIMIT 1) AS previous FROM messages m WHERE m.room = ? AND m.id = ?`;
    this.unreadSql = `SELECT COUNT(*) AS n FROM (SELECT 1 FROM messages ${indexHint(dataSource, BY_ROOM_AND_ID)} WHERE room = ? AND id > ? AND sender_id <> ? AND deleted_at IS NULL ORDER BY id LIMIT ${LIMITS.unreadCap}) t`;
  }

  onModuleInit(): void {
    this.webhooks.checkBeforeDelivery('message.unread', ({ data }) =>
      this.isUnreadStreakStart(data.message.room, data.recipient.id, data.message.id),
    );
  }

  /** Resolves once the message is committed; a repeated clientMsgId gives the first message. */
  async append(input: NewMessage): Promise<{ message: Message; created: boolean }> {
    this.assertOpen();
    const row: MessageEntity = {
      id: newId(),
      room: input.room,
      senderId: input.sender.id,
      botName: input.sender.bot ? input.sender.displayName : null,
      body: input.body,
      clientMsgId: input.clientMsgId ?? null,
      createdAt: new Date(),
      editedAt: null,
      deletedAt: null,
      reactions: null,
      changedAt: null,
      version: 0,
    };
    if (this.withWebhooks) {
      // copied field by field: these go into webhooks as they are
      this.writing.set(row.id, { senderName: input.sender.displayName, recipient: input.recipient && toUserSummary(input.recipient) });
    }
    try {
      const { message, created } = await this.writer.write(row);
      return { message: toMessage(message, input.sender.displayName), created };
    } finally {
      this.writing.delete(row.id);
    }
  }

  /**
   * message.unread is due for a DM when its recipient has not read it (their read marker is
   * before it), it is not deleted, and it starts the unread streak: the recipient has read the
   * other user's (not deleted) message before it, or there is none. Asked when the event comes
   * due, so the markers of that moment decide.
   */
  async isUnreadStreakStart(room: string, recipientId: string, messageId: string): Promise<boolean> {
    const marker = await this.rooms.marker(room, recipientId);
    if (marker !== null && marker >= messageId) return false;
    const [message] = (await this.dataSource.query(this.streakSql, [messageId, recipientId, room, messageId])) as Array<{
      id: string;
      deleted: number | string;
      previous: string | null;
    }>;
    // the message itself deleted (never unread), or an earlier unread one starts the streak
    return message !== undefined && Number(message.deleted) === 0 && (message.previous === null || (marker !== null && marker >= message.previous));
  }

  /**
   * For `room:read` on a DM, once the reader's marker moved to `upTo`: the read ended the streak,
   * so the first message after the marker from the other user, if any, starts a new one and
   * gets its own message.unread, due its delay after it was sent (at once if that has passed).
   * Nothing when that message has an event already.
   */
  async unreadAfterRead(room: string, reader: UserSummary, upTo: string): Promise<void> {
    const config = this.webhooks.config;
    if (!config || !this.webhooks.enabled('message.unread') || !room.startsWith('dm:')) return;
    const next = await this.withSender()
      .useIndex(BY_ROOM_AND_ID)
      .where('m.room = :room AND m.id > :upTo AND m.senderId <> :readerId AND m.deletedAt IS NULL', { room, upTo, readerId: reader.id })
      .orderBy('m.id', 'ASC')
      .limit(1)
      .getOne();
    if (!next || (await this.webhooks.isWaiting(unreadSubject(next.id)))) return;
    const due = new Date(Math.max(Date.now(), next.createdAt.getTime() + config.unreadDelayMs));
    const event = this.webhooks.eventFromViews(
      'message.unread',
      { message: toView(next), recipient: toUserSummary(reader) },
      { at: due, deliverAfter: due, subject: unreadSubject(next.id) },
    );
    await this.webhooks.store([event]);
  }

  /** The outbox rows committed with a batch: message.created, and for a DM its message.unread, due later. */
  private webhookRows(inserted: MessageEntity[]): Statement[] {
    const config = this.webhooks.config;
    if (!config) return [];
    const rows = [];
    for (const row of inserted) {
      const context = this.writing.get(row.id);
      if (!context) continue;
      const message = toMessage(row, context.senderName);
      if (this.webhooks.enabled('message.created')) rows.push(this.webhooks.eventFromViews('message.created', { message }, { at: row.createdAt }));
      if (context.recipient && this.webhooks.enabled('message.unread')) {
        const due = new Date(row.createdAt.getTime() + config.unreadDelayMs);
        rows.push(
          this.webhooks.eventFromViews(
            'message.unread',
            { message, recipient: context.recipient },
            { at: due, deliverAfter: due, subject: unreadSubject(row.id) },
          ),
        );
      }
    }
    return rows.length > 0 ? [this.webhooks.insert(rows)] : [];
  }

  /** `limit` messages before `before` (or the latest), oldest first, in their current state. */
  async page(room: string, before: string | undefined, limit: number = LIMITS.historyPage): Promise<MessagePage> {
    if (before !== undefined) await this.createdAtOf(room, before, 'VALIDATION_FAILED', 'before');
    const rows =
      before === undefined
        ? await this.viewsOf(this.reads.latest, [room, limit + 1])
        : await this.viewsOf(this.reads.before, [room, before, limit + 1]);
    return { messages: rows.slice(0, limit).reverse(), hasMore: rows.length > limit };
  }

  /** What a reconnecting client missed: up to 200 messages after `since`, oldest first. */
  async since(room: string, since: string): Promise<MessagePage> {
    const rows = await this.viewsOf(this.reads.after, [room, since, LIMITS.catchUp + 1]);
    return { messages: rows.slice(0, LIMITS.catchUp), hasMore: rows.length > LIMITS.catchUp };
  }

  /**
   * Messages up to `since` changed after it was created, by their latest change: a range scan
   * of (room, changed_at), the ids filtered on the way.
   */
  async updatedSince(room: string, since: string, sinceCreatedAt: Date): Promise<{ updated: Message[]; hasMoreUpdated: boolean }> {
    const after = this.sql.param('changedAt', sinceCreatedAt);
    const rows = await this.viewsOf(this.reads.changedAfter, [room, after, since, LIMITS.catchUp + 1]);
    return { updated: rows.slice(0, LIMITS.catchUp), hasMoreUpdated: rows.length > LIMITS.catchUp };
  }

  /** When the message `id` of `room` was created; `code` when it is not a message of that room. */
  async createdAtOf(room: string, id: string, code: 'NOT_FOUND' | 'VALIDATION_FAILED', what: string): Promise<Date> {
    const [row] = (await this.dataSource.query(this.reads.createdAt, [id, room])) as Array<{ created_at: unknown }>;
    if (!row) throw new AppError(code, `${what} is not a message of this room`);
    return this.sql.hydrateValue('createdAt', row.created_at) as Date;
  }

  /** The room's latest message id (where a new member's read marker starts), null when it has none. */
  async latestId(room: string): Promise<string | null> {
    return (await this.edgeOf(room, 'DESC'))?.id ?? null;
  }

  async firstCreatedAt(room: string): Promise<Date | null> {
    return (await this.edgeOf(room, 'ASC'))?.createdAt ?? null;
  }

  private async edgeOf(room: string, order: 'ASC' | 'DESC'): Promise<{ id: string; createdAt: Date } | null> {
    const [row] = (await this.dataSource.query(order === 'ASC' ? this.reads.first : this.reads.last, [room])) as Array<{
      id: string;
      created_at: unknown;
    }>;
    return row ? { id: row.id, createdAt: this.sql.hydrateValue('createdAt', row.created_at) as Date } : null;
  }

  /** A hand-written read of messages with their sender's name (`reads`), as views. */
  private async viewsOf(query: string, params: unknown[]): Promise<Message[]> {
    const raw = (await this.dataSource.query(query, params)) as Array<Record<string, unknown>>;
    return raw.map((r) => {
      const row = this.sql.hydrate(r);
      return toMessage(row, (r.sender_name as string | null) ?? row.botName ?? '');
    });
  }

  async hasMessages(room: string): Promise<boolean> {
    return (await this.latestId(room)) !== null;
  }

  /** The statement deleting the room's messages, for the room deletion's transaction. */
  deleteRoomMessages(room: string): Statement {
    const escape = (identifier: string) => this.dataSource.driver.escape(identifier);
    return { sql: `DELETE FROM ${escape('messages')} WHERE ${escape('room')} = ?`, params: [room] };
  }

  /** The latest message ids among `ids`, hydrated, by id. */
  async byIds(ids: readonly string[]): Promise<Map<string, Message>> {
    const found = new Map<string, Message>();
    if (ids.length === 0) return found;
    for (const row of await this.withSender()
      .where({ id: In([...ids]) })
      .getMany())
      found.set(row.id, toView(row));
    return found;
  }

  // ---- the message lifecycle ------------------------------------------------------------------

  /** `message:edit`: the sender only, not once deleted; `message:updated`. */
  async edit(user: Principal, id: string, body: string): Promise<Message> {
    await this.authorizeOn(user, id, 'editMessage');
    const { message, changed } = await this.change({
      id,
      apply: (current, now) => {
        if (current.deletedAt) throw new AppError('FORBIDDEN', 'A deleted message cannot be edited');
        return { body, editedAt: now, deletedAt: null, reactions: current.reactions };
      },
    });
    const view = toStoredView(message);
    if (changed) this.emitter.audience(message.room)?.emit('message:updated', view);
    return view;
  }

  /**
   * Deletes a message, leaving a tombstone (body "", no reactions), and tells the room
   * (`message:deleted`). The sender, the room's owner or moderators, an admin — or the system
   * (the server API's moderation route calls this too). Deleting a tombstone changes nothing.
   * With `room`, a message of another room is NOT_FOUND (routes that name the room).
   */
  async deleteMessage(id: string, actor: MessageActor, room?: string): Promise<{ id: string; room: string }> {
    if (actor.kind === 'user') await this.authorizeOn(actor.user, id, 'deleteMessage');
    const { message, changed } = await this.change({
      id,
      apply: (current, now) => {
        if (room !== undefined && current.room !== room) throw new AppError('NOT_FOUND', 'No such message in this room');
        return current.deletedAt ? null : { body: '', editedAt: current.editedAt, deletedAt: now, reactions: null };
      },
    });
    if (changed) this.emitter.audience(message.room)?.emit('message:deleted', { room: message.room, id });
    return { id, room: message.room };
  }

  /** `reaction:add` / `reaction:remove`: members (a DM's two users), idempotent per user; `message:updated`. */
  async react(user: Principal, id: string, emoji: string, add: boolean): Promise<Message> {
    await this.authorizeOn(user, id, 'react');
    const { message, changed } = await this.change({
      id,
      apply: (current) => {
        if (current.deletedAt) throw new AppError('FORBIDDEN', 'A deleted message takes no reactions');
        const reactions = add
          ? withReaction(parseReactions(current.reactions), emoji, user.id)
          : withoutReaction(parseReactions(current.reactions), emoji, user.id);
        return reactions === null ? null : { body: current.body, editedAt: current.editedAt, deletedAt: null, reactions: storeReactions(reactions) };
      },
    });
    const view = toStoredView(message);
    if (changed) this.emitter.audience(message.room)?.emit('message:updated', view);
    return view;
  }

  /**
   * `room:read`: the marker moves forward only (an older id leaves it). Stored through the
   * writer (committed before the answer); answers the marker as it is after the call.
   */
  async markRead(user: Principal, roomName: string, messageId: string): Promise<ReadState> {
    this.assertOpen();
    const ref = parseRoom(roomName);
    await this.rooms.authorize(user, ref, 'markRead');
    await this.createdAtOf(ref.name, messageId, 'NOT_FOUND', 'messageId');
    if (ref.kind === 'dm') await this.dmMembers.ensure(ref.name, ref.members);
    const marker = await this.rooms.advanceMarker(ref.name, user.id, messageId);
    if (ref.kind === 'dm') {
      // the answer does not wait on (nor fail with) the webhook's bookkeeping
      await this.unreadAfterRead(ref.name, toUserSummary(user), marker).catch((error: unknown) =>
        this.logger.warn(`message.unread after a read not scheduled: ${describeCause(error)}`),
      );
    }
    return { room: ref.name, messageId: marker, unread: await this.unread(ref.name, user.id, marker) };
  }

  /** Messages after the marker, not the user's own, not deleted; exact up to 1000. */
  async unread(room: string, userId: string, marker: string | null): Promise<number> {
    const [row] = (await this.dataSource.query(this.unreadSql, [room, marker ?? '', userId])) as Array<{ n: number | string }>;
    return Number(row?.n ?? 0);
  }

  /**
   * Graceful shutdown, before the sockets close: refuse new sends, commit everything queued,
   * then give the acknowledgements a moment to leave, so nothing is stored without its ack
   * reaching a socket that is still connected.
   */
  async beforeApplicationShutdown(): Promise<void> {
    this.closing = true;
    await Promise.all([this.writer.drain(), this.changes.drain()]);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }

  private assertOpen(): void {
    if (this.closing) throw new AppError('UNAVAILABLE', 'The server is restarting; send again (same clientMsgId)');
  }

  private change(change: MessageChange) {
    this.assertOpen();
    return this.changes.write(change);
  }

  /** The message's room and sender decide: NOT_FOUND for an unknown id, FORBIDDEN by RoomPolicy. */
  private async authorizeOn(user: Principal, id: string, action: RoomAction): Promise<void> {
    const row = await this.messages.findOne({ select: { id: true, room: true, senderId: true }, where: { id } });
    const ref = row ? parseRoomName(row.room) : null;
    if (!row || !ref) throw new AppError('NOT_FOUND', 'No such message');
    await this.rooms.authorize(user, ref, action, { userId: row.senderId });
  }

  private async loadStored(ids: string[]): Promise<Map<string, StoredMessage>> {
    const found = new Map<string, StoredMessage>();
    for (const row of await this.withSender()
      .where({ id: In(ids) })
      .getMany()) {
      const { sender, ...message } = row;
      found.set(row.id, { ...message, senderName: sender?.displayName ?? message.botName ?? '' });
    }
    return found;
  }

  private withSender() {
    return this.messages.createQueryBuilder('m').leftJoin('m.sender', 'u').addSelect(['u.id', 'u.displayName']);
  }
}

/** ` FORCE INDEX (name)` on MySQL and MariaDB, nothing elsewhere: for hand-written queries. */
export const indexHint = (dataSource: DataSource, index: string) => (dataSource.options.type === 'mysql' ? `FORCE INDEX (${index})` : '');

type HistoryReads = ReturnType<typeof historyReads>;

/**
 * The reads a join, a resume and a history page make, written once: through TypeORM's query
 * builder and its hydration they cost about 0.2 ms of CPU each, most of a resuming join's.
 * Columns as `RowSql.selectList`, plus the sender's display name.
 */
function historyReads(dataSource: DataSource, sql: RowSql<MessageEntity>) {
  const escape = (name: string) => dataSource.driver.escape(name);
  const users = dataSource.getMetadata(MessageEntity).findRelationWithPropertyPath('sender')!.inverseEntityMetadata;
  const displayName = users.findColumnWithPropertyName('displayName')!.databaseName;
  const [room, id, changedAt, createdAt, senderId] = ['room', 'id', 'changed_at', 'created_at', 'sender_id'].map(escape);
  const from = (index: string) =>
    `SELECT ${sql.selectList('m')}, u.${escape(displayName)} AS sender_name FROM ${escape('messages')} m ${indexHint(dataSource, index)} ` +
    `LEFT JOIN ${escape(users.tableName)} u ON u.${id} = m.${senderId}`;
  const byId = from(BY_ROOM_AND_ID);
  const edge = (order: 'ASC' | 'DESC') =>
    `SELECT m.${id} AS id, m.${createdAt} AS created_at FROM ${escape('messages')} m ${indexHint(dataSource, BY_ROOM_AND_ID)} WHERE m.${room} = ? ORDER BY m.${id} ${order} LIMIT 1`;
  return {
    latest: `${byId} WHERE m.${room} = ? ORDER BY m.${id} DESC LIMIT ?`,
    before: `${byId} WHERE m.${room} = ? AND m.${id} < ? ORDER BY m.${id} DESC LIMIT ?`,
    after: `${byId} WHERE m.${room} = ? AND m.${id} > ? ORDER BY m.${id} ASC LIMIT ?`,
    changedAfter: `${from(BY_ROOM_AND_CHANGE)} WHERE m.${room} = ? AND m.${changedAt} > ? AND m.${id} <= ? ORDER BY m.${changedAt} ASC, m.${id} ASC LIMIT ?`,
    createdAt: `SELECT m.${createdAt} AS created_at FROM ${escape('messages')} m WHERE m.${id} = ? AND m.${room} = ?`,
    first: edge('ASC'),
    last: edge('DESC'),
  };
}

const toView = (m: MessageEntity) => toMessage(m, m.sender?.displayName ?? m.botName ?? '');
/** The message.unread of one message, while it is stored. */
const unreadSubject = (messageId: string) => `message.unread:${messageId}`;
const toStoredView = (m: StoredMessage) => toMessage(m, m.senderName);

/** The reactions with `userId` added to `emoji` (new emoji last), null when already there; at most 20 distinct. */
export function withReaction(reactions: Reaction[], emoji: string, userId: string): Reaction[] | null {
  const existing = reactions.find((r) => r.emoji === emoji);
  if (existing?.userIds.includes(userId)) return null;
  if (existing) return reactions.map((r) => (r === existing ? { emoji, userIds: [...r.userIds, userId] } : r));
  if (reactions.length >= LIMITS.reactionsPerMessage)
    throw new AppError('LIMIT_EXCEEDED', `At most ${LIMITS.reactionsPerMessage} distinct reactions per message`);
  return [...reactions, { emoji, userIds: [userId] }];
}

/** The reactions without `userId` on `emoji` (a reaction nobody holds any more disappears), null when not there. */
export function withoutReaction(reactions: Reaction[], emoji: string, userId: string): Reaction[] | null {
  const existing = reactions.find((r) => r.emoji === emoji);
  if (!existing?.userIds.includes(userId)) return null;
  const userIds = existing.userIds.filter((id) => id !== userId);
  return userIds.length === 0 ? reactions.filter((r) => r !== existing) : reactions.map((r) => (r === existing ? { emoji, userIds } : r));
}
