import { Logger as NestLogger } from '@nestjs/common';
import type { Logger } from 'typeorm';

/**
 * TypeORM's own logger prints slow queries with their parameters (password hashes, token
 * digests, message bodies) whatever `logging` says. This one reports a slow query by its
 * duration and statement only, sends migrations to the app log, and drops the rest: failed
 * queries reach the caller, which decides what to log.
 */
export class TypeormLogger implements Logger {
  private readonly logger = new NestLogger('Database');

  logQuerySlow(time: number, query: string): void {
    this.logger.warn(`Slow query (${time} ms): ${query.slice(0, 200)}`);
  }

  logMigration(message: string): void {
    this.logger.log(message);
  }

  logQuery(): void {}
  logQueryError(): void {}
  logSchemaBuild(): void {}
  log(level: 'log' | 'info' | 'warn', message: unknown): void {
    if (level === 'warn') this.logger.warn(String(message));
  }
}
