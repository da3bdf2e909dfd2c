// @ts-check
// The SQLite writer thread (SqliteWriterThread in statement-writer.ts).
'use strict';
const { workerData } = require('node:worker_threads');
const Database = require('better-sqlite3');
const { serveRequests } = require('../common/serve-requests.js');

/** @type {{ path: string, busyTimeoutMs: number }} */
const { path, busyTimeoutMs } = workerData;
const db = new Database(path, { timeout: busyTimeoutMs });
// Per connection, as on the main connection: a commit survives power loss. The journal mode
// (WAL) belongs to the file, set when the main connection opened it.
db.pragma('synchronous = FULL');
db.pragma('foreign_keys = ON');

/** @type {Map<string, import('better-sqlite3').Statement>} */
const statements = new Map();

serveRequests(
  (/** @type {{ sql: string, params: unknown[] }} */ { sql, params }) => {
    let statement = statements.get(sql);
    if (!statement) {
      statement = db.prepare(sql);
      statements.set(sql, statement);
    }
    statement.run(params);
  },
  () => db.close(),
);
