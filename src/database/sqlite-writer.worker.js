// @ts-check
// The SQLite writer thread (SqliteWriterThread in statement-writer.ts).
'use strict';
const { workerData } = require('node:worker_threads');
const Database = require('better-sqlite3');
const { serveRequests } = require('../threads/serve-requests.js');
const { prepareSqliteConnection } = require('./sqlite-connection.js');

/** Time kept back from the caller's deadline for the commit itself (fsync). */
const COMMIT_ALLOWANCE_MS = 500;
/** The busy timeout moves in steps, so it is set again only when the time left drops a step. */
const WAIT_STEP_MS = 250;

/** @type {{ path: string, busyTimeoutMs: number }} */
const { path, busyTimeoutMs } = workerData;
const db = new Database(path, { timeout: busyTimeoutMs });
let busyTimeout = busyTimeoutMs;
prepareSqliteConnection(db);

/** @type {Map<string, import('better-sqlite3').Statement>} */
const statements = new Map();

/** @param {string} sql */
function prepared(sql) {
  let statement = statements.get(sql);
  if (!statement) {
    statement = db.prepare(sql);
    statements.set(sql, statement);
  }
  return statement;
}

/** Several statements in one transaction: each one's changed rows. */
const runAll = /** @type {(list: Array<{ sql: string, params: unknown[] }>) => number[]} */ (
  /** @type {unknown} */ (
    db.transaction((/** @type {Array<{ sql: string, params: unknown[] }>} */ list) =>
      list.map(({ sql, params }) => prepared(sql).run(params).changes),
    )
  )
);

/** Several statements, then a SELECT, in one transaction: the SELECT's rows. */
const runAllThenRead = /** @type {(list: Array<{ sql: string, params: unknown[] }>, read: { sql: string, params: unknown[] }) => unknown[]} */ (
  /** @type {unknown} */ (
    db.transaction((/** @type {Array<{ sql: string, params: unknown[] }>} */ list, /** @type {{ sql: string, params: unknown[] }} */ read) => {
      for (const { sql, params } of list) prepared(sql).run(params);
      return prepared(read.sql).all(read.params);
    })
  )
);

serveRequests(
  (
    /** @type {{ sql: string, params: unknown[], deadline: number } | { statements: Array<{ sql: string, params: unknown[] }>, read?: { sql: string, params: unknown[] }, deadline: number }} */ request,
  ) => {
    const { deadline } = request;
    // Wait for another connection's lock only as long as the caller still waits for us.
    const left = deadline - Date.now() - COMMIT_ALLOWANCE_MS;
    if (left < 0) throw Object.assign(new Error('the deadline passed before the statement could run'), { code: 'SQLITE_BUSY' });
    const wait = Math.min(busyTimeoutMs, Math.floor(left / WAIT_STEP_MS) * WAIT_STEP_MS);
    if (wait !== busyTimeout) {
      db.pragma(`busy_timeout = ${wait}`);
      busyTimeout = wait;
    }
    if ('statements' in request) return request.read ? runAllThenRead(request.statements, request.read) : runAll(request.statements);
    return prepared(request.sql).run(request.params).changes;
  },
  () => db.close(),
);
