import { Logger } from '@nestjs/common';
import { AppError, describeCause } from '../common/errors';
import { isUniqueViolation } from '../database/errors';
import { RowSql } from '../database/row-sql';
import { Statement, StatementWriter } from '../database/statement-writer';
import { GroupCommitQueue } from './group-commit-queue';
import { MessageEntity } from './message.entity';

export interface WriteResult {
  /** The stored row: the new one, or the first one sent with the same clientMsgId. */
  message: MessageEntity;
  created: boolean;
}

interface Pending {
  row: MessageEntity;
  resolve: (result: WriteResult) => void;
  reject: (error: unknown) => void;
}

/**
 * Statements committed in one transaction with a batch's INSERT (the webhook outbox rows),
 * called with the rows actually inserted (after de-duplication). None: the plain INSERT alone.
 */
export type BatchCompanion = (inserted: MessageEntity[]) => Statement[];

/** Messages per batch, written as one INSERT (bodies of up to 4,000 characters: ≤ 4 MB). */
const MAX_BATCH = 256;
const WRITE_DEADLINE_MS = 5000;

class WriteTimeoutError extends Error {
  override readonly name = 'WriteTimeoutError';
  override readonly message = `no commit within ${WRITE_DEADLINE_MS} ms`;
}
const dedupeKey = (row: MessageEntity) => (row.clientMsgId === null ? null : `${row.senderId}\u0000${row.clientMsgId}`);

/**
 * Group commit for chat messages. Sends queue here; one writer at a time commits everything
 * queued in one INSERT statement and only then resolves the callers (who then acknowledge).
 * Under load the batch grows by itself while the previous commit runs, so throughput scales
 * with batch size instead of with per-statement latency. Idempotency: a unique index on
 * (sender_id, client_msg_id); duplicates resolve to the first row. A batch is first written
 * blind (retries are rare, and the lookup cost a quarter of the database time per batch); only
 * when the index refuses it is it written again after looking up which messages exist.
 */
export class MessageWriter {
  private readonly logger = new Logger(MessageWriter.name);
  private readonly queue: GroupCommitQueue<Pending>;

  constructor(
    private readonly sql: RowSql<MessageEntity>,
    private readonly statements: StatementWriter,
    private readonly onStored: (count: number) => void,
    private readonly companion?: BatchCompanion,
  ) {
    this.queue = new GroupCommitQueue(MAX_BATCH, (batch) => this.commit(batch));
  }

  write(row: MessageEntity): Promise<WriteResult> {
    return new Promise((resolve, reject) => {
      this.queue.push({ row, resolve, reject });
    });
  }

  /** Resolves once everything queued so far is committed (or has failed). */
  drain(): Promise<void> {
    return this.queue.drain();
  }

  /**
   * One INSERT for the whole batch (atomic by itself). `lookup` first finds the messages stored
   * earlier under the same clientMsgIds (a client's retry); without it the unique index finds
   * them. Between the lookup and the insert nothing else on this node writes messages (one
   * batch at a time); a write from another node meanwhile fails the insert, handled below.
   */
  private async commit(batch: Pending[], lookup = false): Promise<void> {
    let results: WriteResult[];
    let timer: NodeJS.Timeout | undefined;
    try {
      const deadlineAt = Date.now() + WRITE_DEADLINE_MS;
      const write = this.insertBatch(
        batch.map((p) => p.row),
        lookup,
        deadlineAt,
      );
      // A stalled database must not hold the senders (nor the queue behind them) for the sum
      // of the driver's timeouts. The SQLite writer thread refuses to start after the deadline;
      // if a MySQL insert commits after all, the sender's retry with the same clientMsgId finds
      // the stored message.
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new WriteTimeoutError()), deadlineAt - Date.now());
      });
      write.catch(() => undefined);
      results = await Promise.race([write, deadline]);
    } catch (error) {
      if (isUniqueViolation(error) && !lookup) {
        // a retry of a message stored earlier: write the batch again, looking first
        await this.commit(batch, true);
        return;
      }
      if (isUniqueViolation(error) && batch.length > 1) {
        // A concurrent writer (another node) stored one of these clientMsgIds meanwhile: row by row.
        for (const pending of batch) await this.commit([pending], true);
        return;
      }
      this.logger.error(`Could not store ${batch.length} message(s): ${describeCause(error)}`);
      const failure = new AppError('UNAVAILABLE', 'The message could not be stored; try again');
      for (const pending of batch) pending.reject(failure);
      return;
    } finally {
      clearTimeout(timer);
    }
    this.onStored(results.filter((r) => r.created).length);
    batch.forEach((pending, i) => pending.resolve(results[i]));
  }

  private async insertBatch(rows: MessageEntity[], lookup: boolean, deadlineAt: number): Promise<WriteResult[]> {
    const existing = lookup ? await this.findExisting(rows) : new Map<string, MessageEntity>();
    const firstInBatch = new Map<string, MessageEntity>();
    const results: WriteResult[] = [];
    const fresh: MessageEntity[] = [];
    for (const row of rows) {
      const key = dedupeKey(row);
      const earlier = key ? (existing.get(key) ?? firstInBatch.get(key)) : undefined;
      if (earlier) {
        results.push({ message: earlier, created: false });
        continue;
      }
      if (key) firstInBatch.set(key, row);
      fresh.push(row);
      results.push({ message: row, created: true });
    }
    if (fresh.length > 0) {
      const insert = { sql: this.sql.insert(fresh.length), params: fresh.flatMap((row) => this.sql.values(row)) };
      const extra = this.companion?.(fresh) ?? [];
      if (extra.length === 0) await this.statements.run(insert.sql, insert.params, deadlineAt);
      else await this.statements.runAll([insert, ...extra], deadlineAt);
    }
    return results;
  }

  private async findExisting(rows: MessageEntity[]): Promise<Map<string, MessageEntity>> {
    const bySender = new Map<string, Set<string>>();
    for (const row of rows) {
      if (row.clientMsgId === null) continue;
      const ids = bySender.get(row.senderId) ?? new Set<string>();
      ids.add(row.clientMsgId);
      bySender.set(row.senderId, ids);
    }
    const found = new Map<string, MessageEntity>();
    const groups = [...bySender].map(([senderId, ids]): [unknown, unknown[]] => [senderId, [...ids]]);
    for (const message of await this.sql.selectByGroups('senderId', 'clientMsgId', groups)) {
      const key = dedupeKey(message);
      if (key) found.set(key, message);
    }
    return found;
  }
}
