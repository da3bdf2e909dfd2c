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

/**
 * One statement (autocommit), or `steps`: several in one IMMEDIATE transaction, answering the
 * rows of the last one (a SELECT).
 */
serveRequests(
  (/** @type {{ sql: string, params: unknown[], deadline: number, steps?: Array<{ sql: string, params: unknown[] }> }} */ { sql, params, deadline, steps }) => {
    // Wait for another connection's lock only as long as the caller still waits for us.
    const left = deadline - Date.now() - COMMIT_ALLOWANCE_MS;
    if (left < 0) throw Object.assign(new Error('the deadline passed before the statement could run'), { code: 'SQLITE_BUSY' });
    const wait = Math.min(busyTimeoutMs, Math.floor(left / WAIT_STEP_MS) * WAIT_STEP_MS);
    if (wait !== busyTimeout) {
      db.pragma(`busy_timeout = ${wait}`);
      busyTimeout = wait;
    }
    if (!steps) {
      prepared(sql).run(params);
      return undefined;
    }
    return db
      .transaction(() => {
        /** @type {unknown[]} */
        let rows = [];
        for (const step of steps) {
          const statement = prepared(step.sql);
          if (statement.reader) rows = statement.all(step.params);
          else statement.run(step.params);
        }
        return rows;
      })
      .immediate();
  },
  () => db.close(),
);
