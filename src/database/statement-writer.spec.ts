import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDatabaseUnavailable, isUniqueViolation } from './errors';
import { SqliteWriterThread } from './statement-writer';

/** Far enough away never to matter. */
const NO_HURRY = () => Date.now() + 60_000;

describe('SqliteWriterThread', () => {
  let dir: string;
  let path: string;
  let reader: Database.Database;
  let writer: SqliteWriterThread;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'parley-writer-'));
    path = join(dir, 'app.sqlite');
    reader = new Database(path);
    reader.pragma('journal_mode = WAL');
    reader.exec('CREATE TABLE t (id TEXT PRIMARY KEY, body TEXT NOT NULL)');
    writer = new SqliteWriterThread(path, 5000);
  });

  afterEach(async () => {
    await writer.onApplicationShutdown();
    reader.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('has committed a statement when it resolves (another connection reads it)', async () => {
    await writer.run('INSERT INTO t (id, body) VALUES (?, ?), (?, ?)', ['a', 'first', 'b', 'second'], NO_HURRY());
    expect(reader.prepare('SELECT id, body FROM t ORDER BY id').all()).toEqual([
      { id: 'a', body: 'first' },
      { id: 'b', body: 'second' },
    ]);
  });

  it('rejects a failing statement as TypeORM would (a QueryFailedError with the driver code), without its parameters', async () => {
    await writer.run('INSERT INTO t (id, body) VALUES (?, ?)', ['a', 'first'], NO_HURRY());
    const failure = await writer
      .run('INSERT INTO t (id, body) VALUES (?, ?), (?, ?)', ['c', 'secret body', 'a', 'again'], NO_HURRY())
      .catch((error: unknown) => error);
    expect(isUniqueViolation(failure)).toBe(true);
    expect(JSON.stringify(failure)).not.toContain('secret body');
    // the statement is atomic: the row before the duplicate is not stored either
    expect(reader.prepare('SELECT id FROM t ORDER BY id').all()).toEqual([{ id: 'a' }]);
    // and the thread goes on serving
    await writer.run('INSERT INTO t (id, body) VALUES (?, ?)', ['d', 'later'], NO_HURRY());
    expect(reader.prepare('SELECT count(*) AS n FROM t').get()).toEqual({ n: 2 });
  });

  it("runs several statements in one transaction, each one's changed rows, all or none", async () => {
    await writer.run('INSERT INTO t (id, body) VALUES (?, ?), (?, ?)', ['a', 'first', 'b', 'second'], NO_HURRY());
    const update = 'UPDATE t SET body = ? WHERE id = ?';
    expect(
      await writer.runAll(
        [
          { sql: update, params: ['one', 'a'] },
          { sql: update, params: ['none', 'zz'] },
        ],
        NO_HURRY(),
      ),
    ).toEqual([1, 0]);
    const failure = await writer
      .runAll(
        [
          { sql: update, params: ['lost', 'b'] },
          { sql: 'INSERT INTO t (id, body) VALUES (?, ?)', params: ['a', 'duplicate'] },
        ],
        NO_HURRY(),
      )
      .catch((error: unknown) => error);
    expect(isUniqueViolation(failure)).toBe(true);
    expect(reader.prepare('SELECT id, body FROM t ORDER BY id').all()).toEqual([
      { id: 'a', body: 'one' },
      { id: 'b', body: 'second' },
    ]);
  });

  it('does not start a statement whose deadline has passed', async () => {
    const failure = await writer.run('INSERT INTO t (id, body) VALUES (?, ?)', ['late', 'too late'], Date.now() - 1).catch((error: unknown) => error);
    expect(isDatabaseUnavailable(failure)).toBe(true);
    expect(reader.prepare('SELECT count(*) AS n FROM t').get()).toEqual({ n: 0 });
  });

  it("waits for another connection's write lock only until shortly before the deadline", async () => {
    reader.exec('BEGIN IMMEDIATE'); // holds the write lock
    const started = Date.now();
    const failure = await writer.run('INSERT INTO t (id, body) VALUES (?, ?)', ['blocked', 'waits'], started + 1500).catch((error: unknown) => error);
    const waited = Date.now() - started;
    reader.exec('ROLLBACK');
    expect(isDatabaseUnavailable(failure)).toBe(true);
    expect(waited).toBeLessThan(1500);
    expect(reader.prepare('SELECT count(*) AS n FROM t').get()).toEqual({ n: 0 });
    // with the lock free again, the next statement goes through
    await writer.run('INSERT INTO t (id, body) VALUES (?, ?)', ['free', 'now'], NO_HURRY());
    expect(reader.prepare('SELECT id FROM t').all()).toEqual([{ id: 'free' }]);
  });

  it('refuses statements once closed', async () => {
    await writer.onApplicationShutdown();
    await expect(writer.run('INSERT INTO t (id, body) VALUES (?, ?)', ['after', 'close'], NO_HURRY())).rejects.toThrow(/closed/);
  });

  it('keeps concurrent statements apart and answers each', async () => {
    await Promise.all(
      Array.from({ length: 50 }, (_, i) => writer.run('INSERT INTO t (id, body) VALUES (?, ?)', [`id-${i}`, `body ${i}`], NO_HURRY())),
    );
    expect(reader.prepare('SELECT count(*) AS n FROM t').get()).toEqual({ n: 50 });
  });
});
