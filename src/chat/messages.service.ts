import { BeforeApplicationShutdown, Injectable, OnModuleInit } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { Principal } from '../auth/principal';
import { AppError } from '../common/errors';
import { newId } from '../common/ids';
import { RowSqlFactory } from '../database/row-sql';
import { Statement, StatementWriter } from '../database/statement-writer';
import { MetricsService } from '../metrics/metrics.service';
import { WebhooksService } from '../webhooks/webhooks.service';
import { MessageEntity } from './message.entity';
import { LIMITS, type Message, type MessagePage, type UserSummary } from '../protocol';
import { toMessage } from './message.view';
import { MessageWriter } from './message-writer';
import { ReadState } from './read-state';
import { toUserSummary } from '../users/user.view';


export interface NewMessage {
  room: string;
  sender: Principal;
  body: string;
  clientMsgId?: string;
  /** The other user of a DM (its message.unread names them). */
  recipient?: UserSummary;
}

@Injectable()
export class MessagesService implements OnModuleInit, BeforeApplicationShutdown {
  private readonly writer: MessageWriter;
  private closing = false;
  /** What the webhook rows of a message being written need beyond its row; only while webhooks are on. */
  private readonly writing = new Map<string, { senderName: string; recipient?: UserSummary }>();
  private readonly withWebhooks: boolean;

  constructor(
    rowSql: RowSqlFactory,
    @InjectRepository(MessageEntity) private readonly messages: Repository<MessageEntity>,
    statements: StatementWriter,
    metrics: MetricsService,
    private readonly webhooks: WebhooksService,
    private readonly readState: ReadState,
  ) {
    this.withWebhooks = webhooks.enabled('message.created') || webhooks.enabled('message.unread');
    // Without webhooks the writer has no companion: a batch stays one plain INSERT.
    this.writer = new MessageWriter(
      rowSql.for(MessageEntity),
      statements,
      (count) => {
        metrics.messagesStored.inc(count);
        if (this.withWebhooks && count > 0) webhooks.wake();
      },
      this.withWebhooks ? (inserted) => this.webhookRows(inserted) : undefined,
    );
  }

  onModuleInit(): void {
    this.webhooks.checkBeforeDelivery('message.unread', ({ data }) => this.isUnreadStreakStart(data.message.room, data.recipient.id, data.message.id));
  }

  /** Resolves once the message is committed; a repeated clientMsgId gives the first message. */
  async append(input: NewMessage): Promise<{ message: Message; created: boolean }> {
    if (this.closing) throw new AppError('UNAVAILABLE', 'The server is restarting; send again (same clientMsgId)');
    const row: MessageEntity = {
      id: newId(),
      room: input.room,
      senderId: input.sender.id,
      body: input.body,
      clientMsgId: input.clientMsgId ?? null,
      createdAt: new Date(),
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
   * message.unread is due for a DM when its recipient has not read it and it starts the unread
   * streak: the recipient has read the other user's message before it (or there is none).
   * Asked when the event comes due, so the markers of that moment decide.
   */
  async isUnreadStreakStart(room: string, recipientId: string, messageId: string): Promise<boolean> {
    if (await this.readState.hasRead(room, recipientId, messageId)) return false;
    const previous = await this.messages
      .createQueryBuilder('m')
      .select('m.id')
      .where('m.room = :room AND m.id < :messageId AND m.senderId <> :recipientId', { room, messageId, recipientId })
      .orderBy('m.id', 'DESC')
      .limit(1)
      .getOne();
    return !previous || this.readState.hasRead(room, recipientId, previous.id);
  }

  /**
   * For `room:read` on a DM, after the reader's marker moved to `upTo` (called by the read
   * markers' code): the read ended the streak, so the first message after the marker from the
   * other user, if any, starts a new one and gets its own message.unread, due its delay after
   * it was sent (at once if that has passed). Nothing when that message has an event already.
   */
  async unreadAfterRead(room: string, reader: UserSummary, upTo: string): Promise<void> {
    const config = this.webhooks.config;
    if (!config || !this.webhooks.enabled('message.unread') || !room.startsWith('dm:')) return;
    const next = await this.withSender()
      .where('m.room = :room AND m.id > :upTo AND m.senderId <> :readerId', { room, upTo, readerId: reader.id })
      .orderBy('m.id', 'ASC')
      .limit(1)
      .getOne();
    if (!next || (await this.webhooks.isWaiting(unreadSubject(next.id)))) return;
    const due = new Date(Math.max(Date.now(), next.createdAt.getTime() + config.unreadDelayMs));
    const event = this.webhooks.eventFromViews('message.unread', { message: toView(next), recipient: toUserSummary(reader) }, { at: due, deliverAfter: due, subject: unreadSubject(next.id) });
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
      if (context.recipient && context.recipient.id !== row.senderId && this.webhooks.enabled('message.unread')) {
        const due = new Date(row.createdAt.getTime() + config.unreadDelayMs);
        rows.push(this.webhooks.eventFromViews('message.unread', { message, recipient: context.recipient }, { at: due, deliverAfter: due, subject: unreadSubject(row.id) }));
      }
    }
    return rows.length > 0 ? [this.webhooks.insert(rows)] : [];
  }

  /** `limit` messages before `before` (or the latest), oldest first. */
  async page(room: string, before: string | undefined, limit: number = LIMITS.historyPage): Promise<MessagePage> {
    if (before !== undefined) await this.assertInRoom(room, before, 'VALIDATION_FAILED', 'before');
    const query = this.withSender().where('m.room = :room', { room });
    if (before !== undefined) query.andWhere('m.id < :before', { before });
    const rows = await query.orderBy('m.id', 'DESC').take(limit + 1).getMany();
    const hasMore = rows.length > limit;
    return { messages: rows.slice(0, limit).reverse().map(toView), hasMore };
  }

  /** What a reconnecting client missed: up to 200 messages after `since`, oldest first. */
  async since(room: string, since: string): Promise<MessagePage> {
    const rows = await this.withSender()
      .where('m.room = :room', { room })
      .andWhere('m.id > :since', { since })
      .orderBy('m.id', 'ASC')
      .take(LIMITS.catchUp + 1)
      .getMany();
    return { messages: rows.slice(0, LIMITS.catchUp).map(toView), hasMore: rows.length > LIMITS.catchUp };
  }

  async assertInRoom(room: string, id: string, code: 'NOT_FOUND' | 'VALIDATION_FAILED', what: string): Promise<void> {
    if (!(await this.messages.existsBy({ id, room }))) {
      throw new AppError(code, `${what} is not a message of this room`);
    }
  }

  /**
   * Graceful shutdown, before the sockets close: refuse new sends, commit everything queued,
   * then give the acknowledgements a moment to leave, so nothing is stored without its ack
   * reaching a socket that is still connected.
   */
  async beforeApplicationShutdown(): Promise<void> {
    this.closing = true;
    await this.writer.drain();
    await new Promise((resolve) => setTimeout(resolve, 100));
  }

  private withSender() {
    return this.messages.createQueryBuilder('m').leftJoin('m.sender', 'u').addSelect(['u.id', 'u.displayName']);
  }
}

const toView = (m: MessageEntity) => toMessage(m, m.sender?.displayName ?? '');
/** The message.unread of one message, while it is stored. */
const unreadSubject = (messageId: string) => `message.unread:${messageId}`;
