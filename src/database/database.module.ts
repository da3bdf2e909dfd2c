import { Global, Module } from '@nestjs/common';
import { TypeOrmModule, getDataSourceToken } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AppConfig } from '../config/app-config';
import { SQLITE_BUSY_TIMEOUT_MS, buildDataSourceOptions } from './data-source-options';
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
    {
      provide: StatementWriter,
      inject: [AppConfig, getDataSourceToken()],
      // A SQLite file gets its own writer thread; an in-memory database exists only on the
      // main connection.
      useFactory: ({ database }: AppConfig, dataSource: DataSource): StatementWriter =>
        database.kind === 'sqlite' && database.path !== ':memory:'
          ? new SqliteWriterThread(dataSource.options.database as string, SQLITE_BUSY_TIMEOUT_MS)
          : new DataSourceStatementWriter(dataSource),
    },
  ],
  exports: [StatementWriter],
})
export class DatabaseModule {}
