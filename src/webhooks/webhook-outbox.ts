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
/** Rows per INSERT when stores are grouped (9 parameters each: well under every driver's limit). */
const ROWS_PER_INSERT = 500;

interface Waiting<T> {
  resolve: (value: T) => void;
  reject: (error: unknown) => void;
}

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
  private stores: Array<Waiting<void> & { rows: WebhookEventEntity[] }> = [];
  private cancels: Array<Waiting<number> & { subject: string }> = [];
  private flushing: Promise<void> | null = null;
  private scheduled = false;

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

  /**
   * Stores rows inside the caller's transaction when given one; otherwise with the other stores
   * and cancels of this turn of the event loop in one transaction (a reconnect storm after a
   * restart is then a few writes, not one per user).
   */
  async store(rows: WebhookEventEntity[], transaction?: EntityManager): Promise<void> {
    if (transaction) {
      const { sql, params } = this.insert(rows);
      await transaction.query(sql, params);
      return;
    }
    return new Promise((resolve, reject) => {
      this.stores.push({ rows, resolve, reject });
      this.schedule();
    });
  }

  /** Deletes the waiting rows of `subject` (not due yet); how many there were. */
  cancel(subject: string): Promise<number> {
    return new Promise((resolve, reject) => {
      this.cancels.push({ subject, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.flushing) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      if (!this.flushing) this.startFlush();
    });
  }

  private startFlush(): void {
    const stores = this.stores.splice(0);
    const cancels = this.cancels.splice(0);
    if (stores.length === 0 && cancels.length === 0) return;
    this.flushing = this.flush(stores, cancels).finally(() => {
      this.flushing = null;
      if (this.stores.length > 0 || this.cancels.length > 0) this.startFlush();
    });
  }

  private async flush(
    stores: Array<Waiting<void> & { rows: WebhookEventEntity[] }>,
    cancels: Array<Waiting<number> & { subject: string }>,
  ): Promise<void> {
    const now = Date.now();
    try {
      const statements: Statement[] = [];
      const found = new Map<string, number>();
      if (cancels.length > 0) {
        // Most first sockets have nothing waiting: a read finds out, and only found rows are deleted.
        const subjects = [...new Set(cancels.map((c) => c.subject))];
        const waiting = (await this.dataSource.query(
          `SELECT id, subject FROM webhook_events WHERE subject IN (${subjects.map(() => '?').join(', ')}) AND deliver_after > ?`,
          [...subjects, this.at(now)],
        )) as Array<{ id: string; subject: string }>;
        for (const row of waiting) found.set(row.subject, (found.get(row.subject) ?? 0) + 1);
        if (waiting.length > 0) {
          statements.push({ sql: `DELETE FROM webhook_events WHERE id IN (${waiting.map(() => '?').join(', ')})`, params: waiting.map((w) => w.id) });
        }
      }
      const rows = stores.flatMap((s) => s.rows);
      for (let i = 0; i < rows.length; i += ROWS_PER_INSERT) statements.push(this.insert(rows.slice(i, i + ROWS_PER_INSERT)));
      if (statements.length > 0) await this.statements.runAll(statements, now + WRITE_DEADLINE_MS);
      for (const s of stores) s.resolve();
      for (const c of cancels) c.resolve(found.get(c.subject) ?? 0);
    } catch (error) {
      for (const waiter of [...stores, ...cancels]) waiter.reject(error);
    }
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
    const won = await this.statements.run(
      `UPDATE webhook_events SET claimed_by = ?, claimed_until = ? WHERE id IN (${marks}) AND ${free}`,
      [owner, this.at(until), ...ids, this.at(now)],
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
      statements.push({
        sql: `DELETE FROM webhook_events WHERE id IN (${done.map(() => '?').join(', ')}) AND claimed_by = ?`,
        params: [...done, owner],
      });
    }
    for (const s of settlements) {
      if (s.outcome !== 'retry') continue;
      statements.push({
        sql: 'UPDATE webhook_events SET attempts = ?, deliver_after = ?, claimed_by = NULL, claimed_until = NULL WHERE id = ? AND claimed_by = ?',
        params: [s.attempts, this.at(s.at), s.id, owner],
      });
    }
    if (statements.length === 1) await this.statements.run(statements[0].sql, statements[0].params, now + WRITE_DEADLINE_MS);
    else if (statements.length > 1) await this.statements.runAll(statements, now + WRITE_DEADLINE_MS);
  }

  async hasSubject(subject: string): Promise<boolean> {
    const rows = (await this.dataSource.query('SELECT id FROM webhook_events WHERE subject = ? LIMIT 1', [subject])) as unknown[];
    return rows.length > 0;
  }

  /**
   * Events waiting (due or not), for the queue-depth gauge, counted up to `cap`: on SQLite the
   * count runs on the event loop, and a receiver down for hours can leave millions of rows.
   */
  async depth(cap: number): Promise<number> {
    const [row] = (await this.dataSource.query(`SELECT COUNT(*) AS n FROM (SELECT 1 FROM webhook_events LIMIT ${Number(cap)}) q`)) as Array<{
      n: number | string;
    }>;
    return Number(row?.n ?? 0);
  }

  /** A time as the driver stores it in these columns (a string on SQLite, a DATETIME on MySQL). */
  private at(epochMs: number): unknown {
    return this.sql.param('deliverAfter', new Date(epochMs));
  }
}
