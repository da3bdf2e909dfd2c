// @ts-check
// Plain JavaScript so that the writer thread (sqlite-writer.worker.js) can load it as it is.
'use strict';

/**
 * Settings every SQLite connection needs, the main one (TypeORM) and the writer thread's
 * alike: a commit survives power loss, and foreign keys hold. The journal mode (WAL) belongs to
 * the file, set when the main connection opens it.
 * @param {{ pragma(source: string): unknown }} db
 */
function prepareSqliteConnection(db) {
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
}

module.exports = { prepareSqliteConnection };
