import { DataSource } from 'typeorm';
import { MIGRATIONS } from '../src/database/data-source-options';
import { DATABASES } from './support/app';
import { migrationOptions, withDataSource } from './support/data-source';

const RESUME_QUERY = "SELECT id FROM messages WHERE room = 'lobby' AND changed_at > '2026-01-01' AND id <= 'z' ORDER BY changed_at, id LIMIT 201";

async function indexOn(source: DataSource): Promise<{ columns: string[]; partial: boolean }> {
  if (source.options.type === 'better-sqlite3') {
    const [{ sql }] = (await source.query("SELECT sql FROM sqlite_master WHERE name = 'IDX_messages_room_changed'")) as Array<{ sql: string }>;
    const plan = (await source.query(`EXPLAIN QUERY PLAN ${RESUME_QUERY}`)) as Array<{ detail: string }>;
    // the resume's range scan still goes through the index
    expect(plan.map((p) => p.detail).join(' ')).toContain('USING INDEX IDX_messages_room_changed');
    return { columns: /\(([^)]*)\)\s*(WHERE|$)/.exec(sql)![1].replaceAll('"', '').split(/,\s*/), partial: /WHERE changed_at IS NOT NULL/.test(sql) };
  }
  const rows = (await source.query("SHOW INDEX FROM messages WHERE Key_name = 'IDX_messages_room_changed'")) as Array<{ Column_name: string }>;
  return { columns: rows.map((r) => r.Column_name), partial: false };
}

/** SQLite indexes only changed messages by (room, changed_at); MySQL (no partial indexes) keeps the full index. */
it.each(DATABASES)('the changed-messages index, up and down ($name)', async (db) => {
  const url = await db.url();
  const sqlite = url.startsWith('sqlite:');
  await withDataSource(migrationOptions(url, MIGRATIONS), async (source) => {
    await source.runMigrations();
    expect(await indexOn(source)).toEqual({ columns: ['room', 'changed_at'], partial: sqlite });
    await source.undoLastMigration();
    expect(await indexOn(source)).toEqual({ columns: ['room', 'changed_at'], partial: false });
    await source.runMigrations();
    expect(await indexOn(source)).toEqual({ columns: ['room', 'changed_at'], partial: sqlite });
  });
});
