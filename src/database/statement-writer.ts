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
export abstract class StatementWriter {
  /**
   * `deadline` (epoch ms): when the caller stops waiting and tells its senders the write failed.
   * A statement that has not started by then must not start at all, or the rows would be
   * stored after their senders were told they were not.
   */
  abstract run(sql: string, params: unknown[], deadline: number): Promise<void>;

  /**
   * Several statements in one transaction, committed when the promise resolves; answers the
   * rows of the last one (a SELECT), so a write whose values the database computes (an
   * offset) needs no round trip in the middle. The first step must write (SQLite).
   */
  abstract transaction(steps: Statement[], deadline: number): Promise<Array<Record<string, unknown>>>;
}

export interface Statement {
  sql: string;
  params: unknown[];
}

/** Through TypeORM's own connection (MySQL's pool; SQLite in memory). */
export class DataSourceStatementWriter extends StatementWriter {
  constructor(private readonly dataSource: DataSource) {
    super();
  }

  /** MySQL bounds every query itself (maxQueryExecutionTime); in-memory SQLite runs at once. */
  async run(sql: string, params: unknown[]): Promise<void> {
    await this.dataSource.query(sql, params);
  }

  transaction(steps: Statement[]): Promise<Array<Record<string, unknown>>> {
    return this.dataSource.transaction(async (manager) => {
      let rows: unknown = [];
      for (const step of steps) rows = await manager.query(step.sql, step.params);
      return Array.isArray(rows) ? (rows as Array<Record<string, unknown>>) : [];
    });
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
  private readonly thread: WorkerChannel<{ sql: string; params: unknown[]; deadline: number; steps?: Statement[] }, Array<Record<string, unknown>> | undefined>;

  constructor(path: string, busyTimeoutMs: number) {
    super();
    this.thread = new WorkerChannel(
      join(__dirname, 'sqlite-writer.worker.js'),
      { path, busyTimeoutMs },
      // parameters left out: they are message bodies, and errors get logged
      (failure, sql) => new QueryFailedError(sql, [], Object.assign(new Error(failure.message), { code: failure.code })),
    );
  }

  async run(sql: string, params: unknown[], deadline: number): Promise<void> {
    await this.thread.call({ sql, params, deadline }, sql);
  }

  async transaction(steps: Statement[], deadline: number): Promise<Array<Record<string, unknown>>> {
    return (await this.thread.call({ sql: '', params: [], deadline, steps }, steps.map((s) => s.sql).join('; '))) ?? [];
  }

  onApplicationShutdown(): Promise<void> {
    return this.thread.close();
  }
}
