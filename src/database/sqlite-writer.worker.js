// @ts-check
// The SQLite writer thread (SqliteWriterThread in statement-writer.ts).
'use strict';
const { workerData } = require('node:worker_threads');
const Database = require('better-sqlite3');
const { serveRequests } = require('../common/serve-requests.js');

/** Time kept back from the caller's deadline for the commit itself (fsync). */
const COMMIT_ALLOWANCE_MS = 500;

/** @type {{ path: string, busyTimeoutMs: number }} */
const { path, busyTimeoutMs } = workerData;
const db = new Database(path, { timeout: busyTimeoutMs });
let busyTimeout = busyTimeoutMs;
// Per connection, as on the main connection: a commit survives power loss. The journal mode
// (WAL) belongs to the file, set when the main connection opened it.
db.pragma('synchronous = FULL');
db.pragma('foreign_keys = ON');

/** @type {Map<string, import('better-sqlite3').Statement>} */
const statements = new Map();

serveRequests(
  (/** @type {{ sql: string, params: unknown[], deadline: number }} */ { sql, params, deadline }) => {
    // Wait for another connection's lock only as long as the caller still waits for us.
    const wait = Math.min(busyTimeoutMs, deadline - Date.now() - COMMIT_ALLOWANCE_MS);
    if (wait < 0) throw Object.assign(new Error('the deadline passed before the statement could run'), { code: 'SQLITE_BUSY' });
    if (wait !== busyTimeout) {
      db.pragma(`busy_timeout = ${Math.floor(wait)}`);
      busyTimeout = wait;
    }
    let statement = statements.get(sql);
    if (!statement) {
      statement = db.prepare(sql);
      statements.set(sql, statement);
    }
    statement.run(params);
  },
  () => db.close(),
);
