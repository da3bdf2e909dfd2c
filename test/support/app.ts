import { INestApplication } from '@nestjs/common';
import { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConnection } from 'mysql2/promise';
import { createApp } from '../../src/app.factory';
import { closeAllSockets } from './clients';
import { UsersService } from '../../src/users/users.service';

export type Env = Record<string, string | undefined>;

export interface TestApp {
  app: INestApplication;
  /** http://127.0.0.1:<port> */
  url: string;
  env: Env;
  /** Stops the app (keeps the database, so a restart on the same env finds its data). */
  close(): Promise<void>;
  makeAdmin(email: string): Promise<void>;
}

/** Databases the e2e suites run on: SQLite always, MariaDB/MySQL when TEST_MYSQL_URL is set. */
export const DATABASES: Array<{ name: string; url: () => Promise<string> }> = [
  { name: 'sqlite', url: async () => `sqlite:${join(mkdtempSync(join(tmpdir(), 'parley-test-')), 'app.sqlite')}` },
];
if (process.env.TEST_MYSQL_URL) {
  DATABASES.push({ name: 'mysql', url: () => freshMysqlDatabase(process.env.TEST_MYSQL_URL as string) });
} else if (!process.env.PARLEY_QUIET_SKIPS) {
  process.env.PARLEY_QUIET_SKIPS = '1';
  console.info('TEST_MYSQL_URL is not set: MySQL/MariaDB e2e runs are skipped (SQLite runs).');
}

let mysqlCounter = 0;

/** A new, empty database on the server of TEST_MYSQL_URL, so every suite starts clean. */
async function freshMysqlDatabase(baseUrl: string): Promise<string> {
  const url = new URL(baseUrl);
  // The counter restarts with every test file a worker loads: the time keeps names apart.
  const run = process.env.PARLEY_TEST_RUN ?? 'adhoc';
  const name = `${url.pathname.slice(1) || 'parley_test'}_${run}_${process.pid}_${Date.now().toString(36)}_${mysqlCounter++}`;
  const connection = await createConnection({ uri: baseUrl.replace(/\/[^/]*$/, '/') });
  try {
    await connection.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  } finally {
    await connection.end();
  }
  url.pathname = `/${name}`;
  return url.toString();
}

/** Environment for a test app: fast bcrypt, silent logs, fixed secrets, outbox in a temp dir. */
export function testEnv(databaseUrl: string, overrides: Env = {}): Env {
  return {
    NODE_ENV: 'test',
    PORT: '0',
    DATABASE_URL: databaseUrl,
    JWT_ACCESS_SECRET: 'test-access-secret-0123456789abcdefghijklmnop',
    JWT_REFRESH_SECRET: 'test-refresh-secret-0123456789abcdefghijklmno',
    BCRYPT_COST: '4',
    LOG_LEVEL: 'silent',
    MAIL_OUTBOX_DIR: mkdtempSync(join(tmpdir(), 'parley-outbox-')),
    AUTH_RATE_LIMIT: '1000/60s',
    AUTH_IP_RATE_LIMIT: '100000/60s',
    WS_CONNECT_RATE_LIMIT: '1000/10s',
    // No load balancer to wait for: SIGTERM drains at once (test/operations-process sets its own).
    SHUTDOWN_GRACE: '100ms',
    ...overrides,
  };
}

/** Boots the real application on 127.0.0.1, on a port the OS picks. */
export async function startApp(env: Env): Promise<TestApp> {
  const app = await createApp({ env });
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  return {
    app,
    url: `http://127.0.0.1:${port}`,
    env,
    close: () => app.close(),
    makeAdmin: async (email) => {
      await app.get(UsersService).setRole(email, 'admin');
    },
  };
}

export function removeSqliteFile(databaseUrl: string): void {
  if (databaseUrl.startsWith('sqlite:')) rmSync(join(databaseUrl.slice(7), '..'), { recursive: true, force: true });
}

/**
 * Boots an app for the enclosing describe block (beforeAll) and closes it and every test
 * socket afterwards (afterAll). Read `suite.t` inside tests.
 */
export function appPerSuite(overrides: Env = {}, database = DATABASES[0]): { t: TestApp } {
  const suite = {} as { t: TestApp };
  beforeAll(async () => {
    suite.t = await startApp(testEnv(await database.url(), overrides));
  });
  afterAll(async () => {
    closeAllSockets();
    await suite.t?.close();
  });
  return suite;
}
