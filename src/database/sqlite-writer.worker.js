// @ts-check
// The SQLite writer thread (see sqlite-writer.ts). Plain JavaScript so that it runs as it is
// from src/ under the tests and from dist/ in production: a worker thread cannot load
// TypeScript through Jest's transform.
'use strict';
const { parentPort, workerData } = require('node:worker_threads');
const Database = require('better-sqlite3');

/** @type {{ path: string, busyTimeoutMs: number }} */
const { path, busyTimeoutMs } = workerData;
const db = new Database(path, { timeout: busyTimeoutMs });
// Per connection, as on the main connection: a commit survives power loss; the journal mode
// (WAL) is a property of the file, set when the main connection opened it.
db.pragma('synchronous = FULL');
db.pragma('foreign_keys = ON');

/** @type {Map<string, import('better-sqlite3').Statement>} */
const statements = new Map();

/** @param {string} sql */
function statement(sql) {
  let prepared = statements.get(sql);
  if (!prepared) {
    prepared = db.prepare(sql);
    statements.set(sql, prepared);
  }
  return prepared;
}

if (!parentPort) throw new Error('sqlite-writer.worker.js runs only as a worker thread');
const port = parentPort;

port.on('message', (/** @type {{ id: number, sql: string, params: unknown[] } | { close: true }} */ request) => {
  if ('close' in request) {
    db.close();
    port.close();
    return;
  }
  try {
    statement(request.sql).run(request.params);
    port.postMessage({ id: request.id });
  } catch (error) {
    const { code, message } = /** @type {{ code?: string, message?: string }} */ (error);
    port.postMessage({ id: request.id, error: { code: code ?? 'SQLITE_ERROR', message: message ?? String(error) } });
  }
});
