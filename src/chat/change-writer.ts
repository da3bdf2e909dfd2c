import { Logger } from '@nestjs/common';
import { AppError, describeCause } from '../common/errors';
import { RowSql } from '../database/row-sql';
import { StatementWriter } from '../database/statement-writer';
import { GroupCommitQueue } from './group-commit-queue';
import { MessageEntity } from './message.entity';

/** A message as a change sees it: the stored row with its sender's name. */
export type StoredMessage = MessageEntity & { senderName: string };

/** The part of a message a change may rewrite. */
export type MessageState = Pick<MessageEntity, 'body' | 'editedAt' | 'deletedAt' | 'reactions'>;

export interface MessageChange {
  id: string;
  /**
   * The next state, from the stored one (`now` is the change's time); null when there is nothing
   * to change (idempotent); throws an AppError to refuse, storing nothing.
   */
  apply(current: StoredMessage, now: Date): MessageState | null;
}

export interface ChangeResult {
  message: StoredMessage;
  changed: boolean;
}

interface Pending {
  change: MessageChange;
  attempts: number;
  /** Answered already (a failure past the deadline): never written afterwards. */
  settled: boolean;
  resolve: (result: ChangeResult) => void;
  reject: (error: unknown) => void;
}

type Outcome = { ok: true; result: ChangeResult } | { ok: false; error: unknown };

/** Changes per batch: one SELECT of their messages and one transaction of UPDATEs. */
const MAX_BATCH = 256;
const WRITE_DEADLINE_MS = 5000;
/** Lost compare-and-swaps (another node changed the message meanwhile) before giving up. */
const MAX_ATTEMPTS = 8;
const UPDATED_COLUMNS = ['body', 'editedAt', 'deletedAt', 'reactions', 'changedAt', 'version'] as const;

/**
 * Group commit for message changes (edits, deletions, reactions), on the path sends take:
 * changes queue here, one batch at a time loads the messages it touches, applies its changes
 * in order in memory, and writes each changed message with one UPDATE, all in one transaction
 * through the StatementWriter (SQLite: the writer thread). Callers are answered only after the
 * commit, so an acknowledged change survives a crash. Every UPDATE is a compare-and-swap on
 * `version`: when another node changed the message in between, nothing of it was written and
 * its changes go round again on the fresh row.
 */
export class ChangeWriter {
  private readonly logger = new Logger(ChangeWriter.name);
  private readonly queue: GroupCommitQueue<Pending>;
  private readonly updateSql: string;

  constructor(
    private readonly sql: RowSql<MessageEntity>,
    private readonly statements: StatementWriter,
    private readonly load: (ids: string[]) => Promise<Map<string, StoredMessage>>,
  ) {
    this.updateSql = sql.update(UPDATED_COLUMNS, ['id', 'version']);
    this.queue = new GroupCommitQueue(
      MAX_BATCH,
      (batch) => this.commit(batch),
      (pending) => !pending.settled,
    );
  }

  write(change: MessageChange): Promise<ChangeResult> {
    return new Promise((resolve, reject) => {
      this.queue.push({ change, attempts: 0, settled: false, resolve, reject });
    });
  }

  /** Resolves once everything queued so far is committed (or has failed). */
  drain(): Promise<void> {
    return this.queue.drain();
  }

  private async commit(batch: Pending[]): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    try {
      const deadlineAt = Date.now() + WRITE_DEADLINE_MS;
      const work = this.apply(batch, deadlineAt);
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no commit within ${WRITE_DEADLINE_MS} ms`)), deadlineAt - Date.now());
      });
      work.catch(() => undefined);
      await Promise.race([work, deadline]);
    } catch (error) {
      this.logger.error(`Could not store ${batch.length} message change(s): ${describeCause(error)}`);
      const failure = new AppError('UNAVAILABLE', 'The change could not be stored; try again');
      for (const pending of batch) {
        pending.settled = true;
        pending.reject(failure);
      }
    } finally {
      clearTimeout(timer);
    }
  }

  private async apply(batch: Pending[], deadlineAt: number): Promise<void> {
    const stored = await this.load([...new Set(batch.map((p) => p.change.id))]);
    const now = new Date();
    const current = new Map<string, StoredMessage>();
    const outcomes = new Map<Pending, Outcome>();
    for (const pending of batch) {
      const message = current.get(pending.change.id) ?? stored.get(pending.change.id);
      if (!message) {
        outcomes.set(pending, { ok: false, error: new AppError('NOT_FOUND', 'No such message') });
        continue;
      }
      try {
        const next = pending.change.apply(message, now);
        if (next === null) {
          outcomes.set(pending, { ok: true, result: { message, changed: false } });
          continue;
        }
        const changed: StoredMessage = { ...message, ...next, changedAt: now, version: message.version + 1 };
        current.set(message.id, changed);
        outcomes.set(pending, { ok: true, result: { message: changed, changed: true } });
      } catch (error) {
        outcomes.set(pending, { ok: false, error });
      }
    }
    const ids = [...current.keys()];
    const written =
      ids.length === 0
        ? []
        : await this.statements.runAll(
            ids.map((id) => {
              const row = current.get(id) as StoredMessage;
              const before = stored.get(id) as StoredMessage;
              return { sql: this.updateSql, params: [...this.sql.valuesOf(row, UPDATED_COLUMNS), ...this.sql.valuesOf(before, ['id', 'version'])] };
            }),
            deadlineAt,
          );
    const lost = new Set(ids.filter((_, i) => written[i] === 0));
    const retry: Pending[] = [];
    for (const pending of batch) {
      if (lost.has(pending.change.id)) {
        retry.push(pending);
        continue;
      }
      const outcome = outcomes.get(pending) as Outcome;
      if (outcome.ok) pending.resolve(outcome.result);
      else pending.reject(outcome.error);
    }
    // every decision about such a message was made on a stale row: all of them again, first in line
    const again: Pending[] = [];
    for (const pending of retry) {
      if (pending.settled) continue;
      if (++pending.attempts >= MAX_ATTEMPTS) pending.reject(new AppError('UNAVAILABLE', 'The message is changing too fast; try again'));
      else again.push(pending);
    }
    this.queue.pushFront(again);
  }
}
