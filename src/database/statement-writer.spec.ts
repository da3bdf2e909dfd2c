import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isUniqueViolation } from './errors';
import { SqliteWriterThread } from './statement-writer';

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
    await writer.run('INSERT INTO t (id, body) VALUES (?, ?), (?, ?)', ['a', 'first', 'b', 'second']);
    expect(reader.prepare('SELECT id, body FROM t ORDER BY id').all()).toEqual([
      { id: 'a', body: 'first' },
      { id: 'b', body: 'second' },
    ]);
  });

  it('rejects a failing statement as TypeORM would (a QueryFailedError with the driver code), without its parameters', async () => {
    await writer.run('INSERT INTO t (id, body) VALUES (?, ?)', ['a', 'first']);
    const failure = await writer.run('INSERT INTO t (id, body) VALUES (?, ?), (?, ?)', ['c', 'secret body', 'a', 'again']).catch((error: unknown) => error);
    expect(isUniqueViolation(failure)).toBe(true);
    expect(JSON.stringify(failure)).not.toContain('secret body');
    // the statement is atomic: the row before the duplicate is not stored either
    expect(reader.prepare('SELECT id FROM t ORDER BY id').all()).toEqual([{ id: 'a' }]);
    // and the thread goes on serving
    await writer.run('INSERT INTO t (id, body) VALUES (?, ?)', ['d', 'later']);
    expect(reader.prepare('SELECT count(*) AS n FROM t').get()).toEqual({ n: 2 });
  });

  it('keeps concurrent statements apart and answers each', async () => {
    await Promise.all(Array.from({ length: 50 }, (_, i) => writer.run('INSERT INTO t (id, body) VALUES (?, ?)', [`id-${i}`, `body ${i}`])));
    expect(reader.prepare('SELECT count(*) AS n FROM t').get()).toEqual({ n: 50 });
  });
});
