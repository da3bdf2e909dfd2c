import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { RowSql, RowSqlFactory } from '../database/row-sql';
import { Statement, StatementWriter } from '../database/statement-writer';
import { WebhookEventEntity } from './webhook-event.entity';

/** A claimed event: what the worker needs to attempt it. */
export interface ClaimedEvent {
  id: string;
  type: string;
  body: string;
  attempts: number;
}

export type Settlement = { id: string; outcome: 'done' } | { id: string; outcome: 'retry'; attempts: number; at: number };

/** Bounds a write from the worker the way the message writer bounds its own. */
const WRITE_DEADLINE_MS = 5000;

/**
 * The outbox table's statements. Writes go through the StatementWriter (on a SQLite file its
 * thread, so no commit runs on the event loop); the worker's reads use the main connection.
 * Claims are leases, `claimed_until` in the past (or none) meaning free, which needs no row
 * locks and works the same on SQLite and MySQL/MariaDB: the UPDATE re-checks the condition,
 * so of two nodes claiming one row only one changes it.
 */
@Injectable()
export class WebhookOutbox {
  private readonly sql: RowSql<WebhookEventEntity>;

  constructor(
    rowSql: RowSqlFactory,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly statements: StatementWriter,
  ) {
    this.sql = rowSql.for(WebhookEventEntity);
  }

  /** One INSERT for the rows, to run inside another write (a message batch). */
  insert(rows: WebhookEventEntity[]): Statement {
    return { sql: this.sql.insert(rows.length), params: rows.flatMap((row) => this.sql.values(row)) };
  }

  /** Stores rows now, or inside the caller's transaction when given one. */
  async store(rows: WebhookEventEntity[], transaction?: EntityManager): Promise<void> {
    const { sql, params } = this.insert(rows);
    if (transaction) await transaction.query(sql, params);
    else await this.statements.run(sql, params, Date.now() + WRITE_DEADLINE_MS);
  }

  /** Deletes the pending rows of `subject` not due yet; how many there were. */
  async cancel(subject: string, now: number): Promise<number> {
    const [deleted] = await this.statements.runAll(
      [{ sql: 'DELETE FROM webhook_events WHERE subject = ? AND deliver_after > ?', params: [subject, this.at(now)] }],
      now + WRITE_DEADLINE_MS,
    );
    return deleted;
  }

  /** Leases up to `limit` due events to `owner` until `until`; the ones this call won. */
  async claim(owner: string, limit: number, now: number, until: number): Promise<ClaimedEvent[]> {
    const free = '(claimed_until IS NULL OR claimed_until < ?)';
    const candidates = (await this.dataSource.query(
      `SELECT id FROM webhook_events WHERE deliver_after <= ? AND ${free} ORDER BY deliver_after LIMIT ${Number(limit)}`,
      [this.at(now), this.at(now)],
    )) as Array<{ id: string }>;
    if (candidates.length === 0) return [];
    const ids = candidates.map((c) => c.id);
    const marks = ids.map(() => '?').join(', ');
    const [won] = await this.statements.runAll(
      [{ sql: `UPDATE webhook_events SET claimed_by = ?, claimed_until = ? WHERE id IN (${marks}) AND ${free}`, params: [owner, this.at(until), ...ids, this.at(now)] }],
      now + WRITE_DEADLINE_MS,
    );
    if (won === 0) return [];
    return (await this.dataSource.query(`SELECT id, type, body, attempts FROM webhook_events WHERE id IN (${marks}) AND claimed_by = ?`, [
      ...ids,
      owner,
    ])) as ClaimedEvent[];
  }

  /** Deletes what is done and reschedules retries, releasing the lease, in one transaction. */
  async settle(owner: string, settlements: Settlement[], now: number): Promise<void> {
    const done = settlements.filter((s) => s.outcome === 'done').map((s) => s.id);
    const statements: Statement[] = [];
    if (done.length > 0) {
      statements.push({ sql: `DELETE FROM webhook_events WHERE id IN (${done.map(() => '?').join(', ')}) AND claimed_by = ?`, params: [...done, owner] });
    }
    for (const s of settlements) {
      if (s.outcome !== 'retry') continue;
      statements.push({
        sql: 'UPDATE webhook_events SET attempts = ?, deliver_after = ?, claimed_by = NULL, claimed_until = NULL WHERE id = ? AND claimed_by = ?',
        params: [s.attempts, this.at(s.at), s.id, owner],
      });
    }
    if (statements.length > 0) await this.statements.runAll(statements, now + WRITE_DEADLINE_MS);
  }

  /** Events waiting (due or not), for the queue-depth gauge. */
  async depth(): Promise<number> {
    const [row] = (await this.dataSource.query('SELECT COUNT(*) AS n FROM webhook_events')) as Array<{ n: number | string }>;
    return Number(row?.n ?? 0);
  }

  /** A time as the driver stores it in these columns (a string on SQLite, a DATETIME on MySQL). */
  private at(epochMs: number): unknown {
    return this.sql.param('deliverAfter', new Date(epochMs));
  }
}
