import { DataSource } from 'typeorm';
import { loadAppConfig } from '../src/config/app-config';
import { buildDataSourceOptions, MIGRATIONS } from '../src/database/data-source-options';
import type { RoomEntry } from '../src/protocol';
import { DATABASES, startApp, testEnv } from './support/app';
import { register } from './support/clients';
import { withDataSource } from './support/data-source';
import { api } from './support/rooms';

const BEFORE_ROOMS = MIGRATIONS.findIndex((m) => m.name.startsWith('Rooms'));
const A = '01ARZ3NDEKTSV4RRFFQ69G5FAV';
const B = '01BX5ZZKBKACTAV9WEVGEMMVRZ';

/**
 * A database from before rooms existed, with users and DMs in it: the migrations give the
 * users their search key and the DMs' two users their membership (markers at the latest
 * message: old history does not turn unread).
 */
describe.each(DATABASES)('rooms migrations on existing data ($name)', ({ url: databaseUrl }) => {
  it('backfills display-name keys and DM memberships', async () => {
    const env = testEnv(await databaseUrl());
    const options = buildDataSourceOptions(loadAppConfig(env).database);
    const dm = `dm:${A}:${B}`;
    await withDataSource({ ...options, migrations: MIGRATIONS.slice(0, BEFORE_ROOMS), logging: false } as typeof options, async (old) => {
      await old.runMigrations({ transaction: 'each' });
      const hash = '$2b$04$abcdefghijklmnopqrstuu8zN6cYVqm3Yqv9c3xW3JpH2u1A1bB2C';
      const now = '2024-01-02 03:04:05.000';
      for (const [id, email, name] of [
        [A, 'old.a@example.test', 'Ölga Old'],
        [B, 'old.b@example.test', 'Bert Old'],
      ]) {
        await old.query(
          "INSERT INTO users (id, email, password_hash, display_name, role, email_verified_at, created_at, updated_at) VALUES (?, ?, ?, ?, 'user', NULL, ?, ?)",
          [id, email, hash, name, now, now],
        );
      }
      for (const [id, sender] of [
        ['01HZZZZZZZZZZZZZZZZZZZZZZ1', A],
        ['01HZZZZZZZZZZZZZZZZZZZZZZ2', B],
      ]) {
        await old.query('INSERT INTO messages (id, room, sender_id, body, client_msg_id, created_at) VALUES (?, ?, ?, ?, NULL, ?)', [
          id,
          dm,
          sender,
          'old dm',
          now,
        ]);
      }
    });

    const t = await startApp(env);
    try {
      const viewer = await register(t.url, { displayName: 'Viewer' });
      expect((await api(t.url, viewer).get('/users?q=ölga').expect(200)).body.users).toEqual([{ id: A, displayName: 'Ölga Old' }]);
      expect((await api(t.url, viewer).get('/users?q=BERT').expect(200)).body.users).toEqual([{ id: B, displayName: 'Bert Old' }]);
      const members = await t.app
        .get(DataSource)
        .query('SELECT user_id, last_read_message_id FROM room_members WHERE room = ? ORDER BY user_id', [dm]);
      expect(members).toEqual([
        { user_id: A, last_read_message_id: '01HZZZZZZZZZZZZZZZZZZZZZZ2' },
        { user_id: B, last_read_message_id: '01HZZZZZZZZZZZZZZZZZZZZZZ2' },
      ]);
      const entries = (await api(t.url, viewer).get('/rooms').expect(200)).body.rooms as RoomEntry[];
      expect(entries.map((r) => r.name)).not.toContain(dm);
    } finally {
      await t.close();
    }
  });
});
