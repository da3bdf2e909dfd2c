import { Global, Module } from '@nestjs/common';
import { TypeOrmModule, getDataSourceToken } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AppConfig } from '../config/app-config';
import { SQLITE_BUSY_TIMEOUT_MS, buildDataSourceOptions, sqliteFile } from './data-source-options';
import { RowSqlFactory } from './row-sql';
import { DataSourceStatementWriter, SqliteWriterThread, StatementWriter } from './statement-writer';

@Global()
@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig) => ({
        ...buildDataSourceOptions(config.database),
        // One attempt at boot: a wrong DATABASE_URL should fail fast with its own error.
        retryAttempts: 0,
      }),
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
      useFactory: ({ database }: AppConfig, dataSource: DataSource): StatementWriter =>
        database.kind === 'sqlite' && database.path !== ':memory:'
          ? new SqliteWriterThread(sqliteFile(database.path), SQLITE_BUSY_TIMEOUT_MS)
          : new DataSourceStatementWriter(dataSource),
    },
  ],
  exports: [StatementWriter, RowSqlFactory],
})
export class DatabaseModule {}
