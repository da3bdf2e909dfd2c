import { MIGRATIONS } from '../src/database/data-source-options';
import { ServerApiAndLive1733200000000 } from '../src/database/migrations/1733200000000-server-api-and-live';
import { DATABASES } from './support/app';
import { migrationOptions, withDataSource } from './support/data-source';

/**
 * The server API migrations on a database that already holds users and messages: the sender
 * foreign key goes (bots post), old rows keep their data, and it and every later migration go back down.
 */
it.each(DATABASES)('upgrades a database with messages and goes back down ($name)', async (db) => {
  const url = await db.url();
  await withDataSource(migrationOptions(url, MIGRATIONS.slice(0, MIGRATIONS.indexOf(ServerApiAndLive1733200000000))), async (old) => {
    await old.runMigrations();
    await old.query(
      "INSERT INTO users (id, email, password_hash, display_name, role, created_at, updated_at) VALUES ('01HZUSER0000000000000000AA', 'a@b.c', 'x', 'Ada', 'user', '2026-01-01 00:00:00.000', '2026-01-01 00:00:00.000')",
    );
    await old.query(
      "INSERT INTO messages (id, room, sender_id, body, client_msg_id, created_at) VALUES ('01HZMSG00000000000000000AA', 'lobby', '01HZUSER0000000000000000AA', 'old message', 'c1', '2026-01-01 00:00:00.000')",
    );
    await old.query(
      "INSERT INTO sessions (id, user_id, refresh_hash, created_at, last_used_at, expires_at) VALUES ('01HZSESS000000000000000AA', '01HZUSER0000000000000000AA', 'h', '2026-01-01 00:00:00.000', '2026-01-01 00:00:00.000', '2027-01-01 00:00:00.000')",
    );
  });
  await withDataSource(migrationOptions(url, MIGRATIONS), async (next) => {
    await next.runMigrations();
    const rows = await next.query('SELECT id, body, bot_name, deleted_at FROM messages');
    expect(rows).toEqual([expect.objectContaining({ id: '01HZMSG00000000000000000AA', body: 'old message', bot_name: null, deleted_at: null })]);
    await next.query(
      "INSERT INTO messages (id, room, sender_id, bot_name, body, client_msg_id, created_at) VALUES ('01HZMSG00000000000000000AB', 'lobby', 'bot:abc', 'Bot', 'bot message', 'c1', '2026-01-01 00:00:00.000')",
    );
    expect(await next.query('SELECT blocked_at FROM users')).toEqual([{ blocked_at: null }]);
    // rebuilding users (SQLite) must not cascade into its dependents
    expect(await next.query('SELECT id FROM sessions')).toEqual([{ id: '01HZSESS000000000000000AA' }]);
    // down through every later migration, then the server API's own
    for (let i = MIGRATIONS.indexOf(ServerApiAndLive1733200000000); i < MIGRATIONS.length; i++) await next.undoLastMigration();
    // the bot's message could not stay under the restored foreign key; the user's did
    expect((await next.query('SELECT id FROM messages')).map((r: { id: string }) => r.id)).toEqual(['01HZMSG00000000000000000AA']);
    expect(await next.query('SELECT id FROM sessions')).toEqual([{ id: '01HZSESS000000000000000AA' }]);
  });
});
