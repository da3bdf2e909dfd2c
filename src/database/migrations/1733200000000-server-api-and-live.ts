import { MigrationInterface, QueryRunner, Table, TableColumn, TableForeignKey, TableIndex } from 'typeorm';
import { addColumnInPlace, dropColumnInPlace, timeColumn } from '../column-types';

/**
 * The server API and /live (API.md part 2):
 * - `api_keys`: only the sha256 of each key's secret.
 * - `users.blocked_at` / `blocked_reason`: blocks through the server API.
 * - `messages`: bots post too (sender `bot:<keyId>`, no users row), so the foreign key from
 *   `sender_id` to `users` goes, and `bot_name` keeps a bot's display name (its key's name)
 *   for history; it is NULL for users, whose current displayName comes from `users`.
 * - `live_channels` (each channel's latest offset), `live_publications` (its history) and
 *   `live_idempotency` (idempotency keys, 5 minutes). Channel names and idempotency keys are
 *   case-sensitive: binary collation on MySQL/MariaDB.
 */
export class ServerApiAndLive1733200000000 implements MigrationInterface {
  name = 'ServerApiAndLive1733200000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const mysql = queryRunner.connection.options.type === 'mysql';
    const exact = mysql ? { charset: 'utf8mb4', collation: 'utf8mb4_bin' } : {};

    await queryRunner.createTable(
      new Table({
        name: 'api_keys',
        columns: [
          { name: 'id', type: 'varchar', length: '16', isPrimary: true, ...exact },
          { name: 'name', type: 'varchar', length: '50' },
          { name: 'secret_hash', type: 'varchar', length: '64' },
          { name: 'scopes', type: 'varchar', length: '64' },
          timeColumn('created_at'),
          timeColumn('revoked_at', { isNullable: true }),
        ],
      }),
    );

    // Rebuilding `messages` (SQLite's way to drop a foreign key) touches no other table.
    const messages = await queryRunner.getTable('messages');
    const fk = messages?.foreignKeys.find((key) => key.columnNames.includes('sender_id'));
    if (fk) await queryRunner.dropForeignKey('messages', fk);
    await addColumnInPlace(queryRunner, 'messages', new TableColumn({ name: 'bot_name', type: 'varchar', length: '50', isNullable: true }));
    await addColumnInPlace(queryRunner, 'users', new TableColumn(timeColumn('blocked_at', { isNullable: true })));
    await addColumnInPlace(queryRunner, 'users', new TableColumn({ name: 'blocked_reason', type: 'varchar', length: '500', isNullable: true }));

    await queryRunner.createTable(
      new Table({
        name: 'live_channels',
        columns: [
          { name: 'name', type: 'varchar', length: '136', isPrimary: true, ...exact },
          { name: 'last_offset', type: 'bigint' },
        ],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'live_publications',
        columns: [
          { name: 'channel', type: 'varchar', length: '136', isPrimary: true, ...exact },
          { name: 'seq', type: 'bigint', isPrimary: true },
          { name: 'data', type: 'text' },
          timeColumn('created_at'),
        ],
        indices: [new TableIndex({ name: 'IDX_live_publications_created', columnNames: ['created_at'] })],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'live_idempotency',
        columns: [
          { name: 'channel', type: 'varchar', length: '136', isPrimary: true, ...exact },
          { name: 'idem_key', type: 'varchar', length: '128', isPrimary: true, ...exact },
          { name: 'seq', type: 'bigint' },
          timeColumn('created_at'),
        ],
        indices: [new TableIndex({ name: 'IDX_live_idempotency_created', columnNames: ['created_at'] })],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('live_idempotency');
    await queryRunner.dropTable('live_publications');
    await queryRunner.dropTable('live_channels');
    await dropColumnInPlace(queryRunner, 'users', 'blocked_reason');
    await dropColumnInPlace(queryRunner, 'users', 'blocked_at');
    await dropColumnInPlace(queryRunner, 'messages', 'bot_name');
    // bots have no users row: their messages cannot stay under the foreign key
    await queryRunner.query(`DELETE FROM messages WHERE sender_id LIKE 'bot:%'`);
    await queryRunner.createForeignKey(
      'messages',
      new TableForeignKey({
        name: 'FK_messages_sender',
        columnNames: ['sender_id'],
        referencedTableName: 'users',
        referencedColumnNames: ['id'],
        onDelete: 'CASCADE',
      }),
    );
    await queryRunner.dropTable('api_keys');
  }
}
