import { DataSource } from 'typeorm';

/** Under the query timeout (MYSQL_TIMEOUT_MS): one GET_LOCK call must never be cut off as a stalled query. */
const LOCK_POLL_SECONDS = 1;

/**
 * Applies pending migrations, one node at a time. MySQL's DDL is not transactional: nodes
 * started together on a new database would each apply the same migration, and all but the
 * first would fail ("Duplicate column name"). A named lock per database (GET_LOCK lives on
 * the connection that took it, so it goes with a crashed node) makes the others wait, then
 * find nothing pending. SQLite is one file of one process: its transactional DDL needs no lock.
 */
export async function runMigrationsOneNodeAtATime(dataSource: DataSource, timeoutMs: number): Promise<void> {
  if (dataSource.options.type !== 'mysql') {
    await dataSource.runMigrations();
    return;
  }
  const runner = dataSource.createQueryRunner();
  // the lock's name is at most 64 characters: a hash of the database's name, not the name
  const lock = "CONCAT('parley:migrations:', SHA1(DATABASE()))";
  try {
    const deadline = Date.now() + timeoutMs;
    while (Number((await runner.query(`SELECT GET_LOCK(${lock}, ?) AS locked`, [LOCK_POLL_SECONDS]))[0].locked) !== 1) {
      if (Date.now() > deadline) throw new Error(`Another node held the migration lock for over ${timeoutMs} ms`);
    }
    try {
      await dataSource.runMigrations();
    } finally {
      await runner.query(`SELECT RELEASE_LOCK(${lock})`);
    }
  } finally {
    await runner.release();
  }
}
