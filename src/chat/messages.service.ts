import { BeforeApplicationShutdown, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { IsNull, Repository } from 'typeorm';
import { AppError } from '../common/errors';
import { newId } from '../common/ids';
import { RowSqlFactory } from '../database/row-sql';
import { StatementWriter } from '../database/statement-writer';
import { MetricsService } from '../metrics/metrics.service';
import { MessageEntity } from './message.entity';
import { LIMITS, type Message, type MessagePage, type UserSummary } from '../protocol';
import { toMessage } from './message.view';
import { MessageWriter } from './message-writer';


export interface NewMessage {
  room: string;
  /** A user, or a server API key's bot (`bot: true`: its name is stored with the message). */
  sender: UserSummary & { bot?: boolean };
  body: string;
  clientMsgId?: string;
}

@Injectable()
export class MessagesService implements BeforeApplicationShutdown {
  private readonly writer: MessageWriter;
  private closing = false;

  constructor(
    rowSql: RowSqlFactory,
    @InjectRepository(MessageEntity) private readonly messages: Repository<MessageEntity>,
    statements: StatementWriter,
    metrics: MetricsService,
  ) {
    this.writer = new MessageWriter(rowSql.for(MessageEntity), statements, (count) => metrics.messagesStored.inc(count));
  }

  /** Resolves once the message is committed; a repeated clientMsgId gives the first message. */
  async append(input: NewMessage): Promise<{ message: Message; created: boolean }> {
    if (this.closing) throw new AppError('UNAVAILABLE', 'The server is restarting; send again (same clientMsgId)');
    const row: MessageEntity = {
      id: newId(),
      room: input.room,
      senderId: input.sender.id,
      senderName: input.sender.bot ? input.sender.displayName : null,
      body: input.body,
      clientMsgId: input.clientMsgId ?? null,
      createdAt: new Date(),
      deletedAt: null,
    };
    const { message, created } = await this.writer.write(row);
    return { message: toMessage(message, input.sender.displayName), created };
  }

  /**
   * Deletes a message, leaving its tombstone (id, room, sender, createdAt; body ""). Returns
   * the room it was in, or null for an unknown id (or one in another room, when `room` is given).
   * Deleting a deleted message changes nothing and still answers its room.
   * (Minimal until the message lifecycle of branch `rooms` lands: its delete replaces this.)
   */
  async delete(id: string, room?: string): Promise<string | null> {
    const found = await this.messages.findOne({ select: { id: true, room: true }, where: room === undefined ? { id } : { id, room } });
    if (!found) return null;
    await this.messages.update({ id, deletedAt: IsNull() }, { body: '', deletedAt: new Date() });
    return found.room;
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

const toView = (m: MessageEntity) => toMessage(m, m.sender?.displayName ?? m.senderName ?? '');
