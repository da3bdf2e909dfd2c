import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { DataSourceOptions } from 'typeorm';
import { DatabaseConfig } from '../config/app-config';
import { DropTimedOutConnections } from './drop-timed-out-connections.subscriber';
import { prepareSqliteConnection } from './sqlite-connection';
import { TypeormLogger } from './typeorm-logger';
import { UsersAndSessions1732400000000 } from './migrations/1732400000000-users-and-sessions';
import { Messages1732400000001 } from './migrations/1732400000001-messages';
import { EmailTokens1732400000002 } from './migrations/1732400000002-email-tokens';
import { UsersEmailExact1732500000000 } from './migrations/1732500000000-users-email-exact';
import { UserIdentities1733300000000 } from './migrations/1733300000000-user-identities';
import { Rooms1733100000000 } from './migrations/1733100000000-rooms';
import { MessageLifecycle1733100000001 } from './migrations/1733100000001-message-lifecycle';
import { UsersDisplayNameKey1733100000002 } from './migrations/1733100000002-users-display-name-key';
import { ServerApiAndLive1733200000000 } from './migrations/1733200000000-server-api-and-live';
import { TwoFactorAndCredentials1733400000000 } from './migrations/1733400000000-two-factor-and-credentials';
import { WebhookEvents1733500000000 } from './migrations/1733500000000-webhook-events';
import { MessagesChangedPartialIndex1733600000000 } from './migrations/1733600000000-messages-changed-partial-index';
export const MIGRATIONS = [
  UsersAndSessions1732400000000,
  Messages1732400000001,
  EmailTokens1732400000002,
  UsersEmailExact1732500000000,
  UserIdentities1733300000000,
  Rooms1733100000000,
  MessageLifecycle1733100000001,
  UsersDisplayNameKey1733100000002,
  ServerApiAndLive1733200000000,
  TwoFactorAndCredentials1733400000000,
  WebhookEvents1733500000000,
  MessagesChangedPartialIndex1733600000000,
];

const MYSQL_TIMEOUT_MS = 5000;
/** How long a SQLite connection waits for another one's write to finish. */
export const SQLITE_BUSY_TIMEOUT_MS = 5000;

/** The SQLite file's absolute path (or `:memory:`). */
export const sqliteFile = (path: string): string => (path === ':memory:' ? path : resolve(path));

/** TypeORM options for either embedded SQLite or MySQL/MariaDB. Schema comes only from migrations. */
export function buildDataSourceOptions(database: DatabaseConfig): DataSourceOptions & { autoLoadEntities: boolean } {
  const common = {
    // Each domain module registers its own entities (TypeOrmModule.forFeature).
    autoLoadEntities: true,
    migrations: MIGRATIONS,
    // run by runMigrationsOneNodeAtATime after connecting, not by initialize()
    migrationsRun: false,
    migrationsTransactionMode: 'each' as const,
    synchronize: false,
    logger: new TypeormLogger(),
  };
  if (database.kind === 'sqlite') {
    const path = sqliteFile(database.path);
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    return {
      ...common,
      type: 'better-sqlite3',
      database: path,
      // WAL lets readers run beside a writer (this connection or the message writer thread);
      // per-connection settings (FULL sync, foreign keys) are in sqlite-connection.js.
      enableWAL: true,
      timeout: SQLITE_BUSY_TIMEOUT_MS,
      prepareDatabase: prepareSqliteConnection,
    };
  }
  return {
    ...common,
    type: 'mysql',
    url: database.url,
    charset: 'utf8mb4_unicode_ci',
    timezone: 'Z',
    connectorPackage: 'mysql2',
    // A cut or stalled database must surface as an error within seconds (503 / INTERNAL, and
    // /health down), not as requests that hang: bound connecting and every query.
    connectTimeout: MYSQL_TIMEOUT_MS,
    subscribers: [DropTimedOutConnections],
    enableQueryTimeout: true,
    maxQueryExecutionTime: MYSQL_TIMEOUT_MS,
    // Sized for a reconnect storm: each resuming room:join makes about five short reads, and with
    // 10 connections 18,000 joins queued for 17 s (p50), timed out and retried; with 30 every
    // socket was back within 60 s (bench/RESULTS.md). The statement writer has its own 4.
    extra: { connectionLimit: 30 },
  };
}
