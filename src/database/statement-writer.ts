import { OnApplicationShutdown } from '@nestjs/common';
import { join } from 'node:path';
import { DataSource, QueryFailedError } from 'typeorm';
import { WorkerChannel } from '../threads/worker-channel';

/**
 * Runs single write statements, each atomic by itself (autocommit) and committed when its
 * promise resolves. The chat's group commit writes a whole batch as one multi-row INSERT
 * through this, instead of BEGIN / INSERT / COMMIT through TypeORM's query runner: one round
 * trip to MySQL instead of three, each of which waited for a turn of a busy event loop.
 */
export interface Statement {
  sql: string;
  params: unknown[];
}

export abstract class StatementWriter {
  /**
   * `deadline` (epoch ms): when the caller stops waiting and tells its senders the write failed.
   * A statement that has not started by then must not start at all, or the rows would be
   * stored after their senders were told they were not. Resolves with the rows it changed.
   */
  abstract run(sql: string, params: unknown[], deadline: number): Promise<number>;

  /** Several statements in one transaction (all or none), each one's changed rows once committed. */
  abstract runAll(statements: Statement[], deadline: number): Promise<number[]>;

  /**
   * `runAll`, then `read` (a SELECT) in the same transaction: its rows once committed. For
   * writes whose values the database computes (an offset), with no round trip in between.
   */
  abstract runAllThenRead(statements: Statement[], read: Statement, deadline: number): Promise<Array<Record<string, unknown>>>;
}

/** Through a TypeORM data source: MySQL's writer pool, or SQLite in memory (the main connection). */
export class DataSourceStatementWriter extends StatementWriter implements OnApplicationShutdown {
  /** `owned`: a data source of its own, closed with the app (not the app's main one). */
  constructor(
    private readonly dataSource: DataSource,
    private readonly owned = false,
  ) {
    super();
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.owned && this.dataSource.isInitialized) await this.dataSource.destroy();
  }

  /** MySQL bounds every query itself (maxQueryExecutionTime); in-memory SQLite runs at once. */
  async run(sql: string, params: unknown[]): Promise<number> {
    const runner = this.dataSource.createQueryRunner('master');
    try {
      return (await runner.query(sql, params, true)).affected ?? 0;
    } finally {
      await runner.release();
    }
  }

  async runAll(statements: Statement[]): Promise<number[]> {
    const runner = this.dataSource.createQueryRunner('master');
    try {
      await runner.startTransaction();
      const changes: number[] = [];
      try {
        for (const { sql, params } of statements) changes.push((await runner.query(sql, params, true)).affected ?? 0);
        await runner.commitTransaction();
      } catch (error) {
        if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
        throw error;
      }
      return changes;
    } finally {
      await runner.release();
    }
  }

  async runAllThenRead(statements: Statement[], read: Statement): Promise<Array<Record<string, unknown>>> {
    const runner = this.dataSource.createQueryRunner('master');
    try {
      await runner.startTransaction();
      try {
        for (const { sql, params } of statements) await runner.query(sql, params);
        const rows = (await runner.query(read.sql, read.params)) as Array<Record<string, unknown>>;
        await runner.commitTransaction();
        return rows;
      } catch (error) {
        if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
        throw error;
      }
    } finally {
      await runner.release();
    }
  }
}

/**
 * A SQLite file written from a worker thread with its own connection. better-sqlite3 is
 * synchronous, so on the main connection every commit (and its fsync) stopped the event loop
 * — about a tenth of the server's time under chat load. WAL mode lets this connection write
 * while the main one reads; SQLite serialises the two writers (the busy timeout waits). The
 * thread waits for the lock only until shortly before the caller's deadline and refuses a
 * statement whose deadline has passed. Errors come back as QueryFailedError with the driver's
 * code, as from TypeORM.
 */
export class SqliteWriterThread extends StatementWriter implements OnApplicationShutdown {
  private readonly thread: WorkerChannel<
    { sql: string; params: unknown[]; deadline: number } | { statements: Statement[]; read?: Statement; deadline: number },
    number | number[] | Array<Record<string, unknown>>
  >;

  constructor(path: string, busyTimeoutMs: number) {
    super();
    this.thread = new WorkerChannel(
      join(__dirname, 'sqlite-writer.worker.js'),
      { path, busyTimeoutMs },
      // parameters left out: they are message bodies, and errors get logged
      (failure, sql) => new QueryFailedError(sql, [], Object.assign(new Error(failure.message), { code: failure.code })),
    );
  }

  async run(sql: string, params: unknown[], deadline: number): Promise<number> {
    return (await this.thread.call({ sql, params, deadline }, sql)) as number;
  }

  async runAll(statements: Statement[], deadline: number): Promise<number[]> {
    return (await this.thread.call({ statements, deadline }, statements.map((s) => s.sql).join('; '))) as number[];
  }

  async runAllThenRead(statements: Statement[], read: Statement, deadline: number): Promise<Array<Record<string, unknown>>> {
    return (await this.thread.call({ statements, read, deadline }, [...statements, read].map((s) => s.sql).join('; '))) as Array<
      Record<string, unknown>
    >;
  }

  onApplicationShutdown(): Promise<void> {
    return this.thread.close();
  }
}
