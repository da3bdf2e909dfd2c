import { Global, Logger, Module } from '@nestjs/common';
import { TypeOrmModule, getDataSourceToken } from '@nestjs/typeorm';
import { DataSource, DataSourceOptions } from 'typeorm';
import type { MysqlConnectionOptions } from 'typeorm/driver/mysql/MysqlConnectionOptions';
import { isConnectionError, waitForDependency } from '../startup/wait-for';
import { AppConfig } from '../config/app-config';
import { SQLITE_BUSY_TIMEOUT_MS, buildDataSourceOptions, sqliteFile } from './data-source-options';
import { RowSqlFactory } from './row-sql';
import { runMigrationsOneNodeAtATime } from './run-migrations';
import { DataSourceStatementWriter, SqliteWriterThread, StatementWriter } from './statement-writer';

/** The statement writer's own MySQL connections (messages and their changes, read markers, outbox and /live history rows): group commit keeps few statements in flight. */
const WRITER_CONNECTIONS = 4;

/**
 * Opens all of a MySQL pool's connections before the node takes traffic. mysql2 opens them on
 * demand, so after a restart into a reconnect storm the first resuming joins asked for all 30
 * at once while the event loop was saturated: the handshakes missed the connect timeout and
 * those joins failed (28 INTERNAL answers per storm, bench/RESULTS.md). Idle connections stay
 * open (mysql2 keeps up to the pool's size). Best effort: a server short of connections
 * (max_connections) gets a warning, and the pool opens the rest on demand as before.
 */
async function openEveryConnection(dataSource: DataSource, logger: Logger): Promise<void> {
  if (dataSource.options.type !== 'mysql') return;
  const { connectionLimit = 1 } = (dataSource.options.extra ?? {}) as { connectionLimit?: number };
  // issued together, none can reuse another's connection: the pool opens one each
  const opened = await Promise.allSettled(Array.from({ length: connectionLimit }, () => dataSource.query('SELECT 1')));
  const failure = opened.find((o): o is PromiseRejectedResult => o.status === 'rejected');
  if (failure) {
    const count = opened.filter((o) => o.status === 'fulfilled').length;
    logger.warn(
      `Opened ${count} of ${connectionLimit} MySQL connections at start (${failure.reason instanceof Error ? failure.reason.message : String(failure.reason)}); each node uses up to 34`,
    );
  }
}

@Global()
@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig) => ({
        ...buildDataSourceOptions(config.database),
        startupTimeoutMs: config.startupTimeoutMs,
        // Retries are ours (below); TypeORM's own would log a stack per attempt.
        toRetry: () => false,
      }),
      // A database that is not up yet (a compose stack starting together) is waited for, with
      // backoff, until STARTUP_TIMEOUT; a wrong password or a failing migration fails at once.
      dataSourceFactory: async (options) => {
        const { startupTimeoutMs, ...dataSourceOptions } = options as DataSourceOptions & { startupTimeoutMs: number };
        const logger = new Logger('Database');
        return waitForDependency(
          'the database',
          async () => {
            const dataSource = new DataSource(dataSourceOptions);
            try {
              await dataSource.initialize();
              await runMigrationsOneNodeAtATime(dataSource, startupTimeoutMs);
              await openEveryConnection(dataSource, logger);
              return dataSource;
            } catch (error) {
              if (dataSource.isInitialized) await dataSource.destroy().catch(() => undefined);
              throw error;
            }
          },
          { timeoutMs: startupTimeoutMs, retryable: isConnectionError, log: (line) => logger.warn(line) },
        );
      },
    }),
  ],
  providers: [
    RowSqlFactory,
    {
      provide: StatementWriter,
      inject: [AppConfig, getDataSourceToken()],
      // A SQLite file gets its own writer thread; an in-memory database exists only on the
      // main connection. With two connections writing one file, a transaction on the main
      // connection that reads and then writes fails (SQLITE_BUSY_SNAPSHOT) if the thread
      // commits in between, which no busy timeout covers: transactions here write first or are
      // single statements. A main-connection write that finds the thread committing waits
      // (on the event loop) for that commit, a few milliseconds.
      //
      // MySQL writes go through a pool of their own (WRITER_CONNECTIONS): in a reconnect storm
      // thousands of resume reads queued in the shared pool ahead of every batch of messages,
      // and sends waited seconds for their ack (recovery p99 10–11× the steady state; 1.4–2.1×
      // with this pool and a shared one of 30, bench/RESULTS.md).
      useFactory: async ({ database }: AppConfig, dataSource: DataSource): Promise<StatementWriter> => {
        if (database.kind === 'sqlite') {
          return database.path === ':memory:'
            ? new DataSourceStatementWriter(dataSource)
            : new SqliteWriterThread(sqliteFile(database.path), SQLITE_BUSY_TIMEOUT_MS);
        }
        const writer = new DataSource({
          ...(dataSource.options as MysqlConnectionOptions),
          entities: [],
          migrations: [],
          migrationsRun: false,
          extra: { connectionLimit: WRITER_CONNECTIONS },
        });
        await writer.initialize();
        await openEveryConnection(writer, new Logger('Database'));
        return new DataSourceStatementWriter(writer, true);
      },
    },
  ],
  exports: [StatementWriter, RowSqlFactory],
})
export class DatabaseModule {}
