import { MigrationInterface, QueryRunner, TableColumn, TableIndex } from 'typeorm';
import { displayNameKey } from '../../protocol';

const BACKFILL_BATCH = 500;

/**
 * `users.display_name_key`: the display name as people search it (NFC, lower case), indexed,
 * so `GET /users?q=` is a prefix range scan. Compared exactly (binary collation on MySQL): the
 * application decides what matches, not an accent-insensitive collation. Existing users are
 * backfilled here, in batches.
 */
export class UsersDisplayNameKey1733100000002 implements MigrationInterface {
  name = 'UsersDisplayNameKey1733100000002';

  async up(queryRunner: QueryRunner): Promise<void> {
    const mysql = queryRunner.connection.options.type === 'mysql';
    await queryRunner.addColumn(
      'users',
      new TableColumn({
        name: 'display_name_key',
        type: 'varchar',
        length: '100',
        default: "''",
        ...(mysql ? { charset: 'utf8mb4', collation: 'utf8mb4_bin' } : {}),
      }),
    );
    let after = '';
    for (;;) {
      const rows = (await queryRunner.query('SELECT id, display_name FROM users WHERE id > ? ORDER BY id LIMIT ?', [
        after,
        BACKFILL_BATCH,
      ])) as Array<{ id: string; display_name: string }>;
      if (rows.length === 0) break;
      for (const row of rows)
        await queryRunner.query('UPDATE users SET display_name_key = ? WHERE id = ?', [displayNameKey(row.display_name), row.id]);
      after = rows[rows.length - 1].id;
    }
    await queryRunner.createIndex('users', new TableIndex({ name: 'IDX_users_display_name_key', columnNames: ['display_name_key'] }));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropIndex('users', 'IDX_users_display_name_key');
    await queryRunner.dropColumn('users', 'display_name_key');
  }
}
