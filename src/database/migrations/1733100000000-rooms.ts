import { MigrationInterface, QueryRunner, Table, TableForeignKey, TableIndex } from 'typeorm';
import { idColumn, timeColumn } from '../column-types';

/**
 * Rooms people own: `rooms` holds only created rooms (an implicit room has no row);
 * `room_members` holds every membership — created rooms, implicit rooms joined, and the two
 * users of each DM conversation — with the member's read marker; `room_bans` the bans.
 */
export class Rooms1733100000000 implements MigrationInterface {
  name = 'Rooms1733100000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'rooms',
        columns: [
          { name: 'name', type: 'varchar', length: '64', isPrimary: true },
          { name: 'title', type: 'varchar', length: '100' },
          { name: 'visibility', type: 'varchar', length: '16' },
          idColumn('owner_id', { isNullable: true }),
          timeColumn('created_at'),
        ],
        indices: [
          // ROOMS_PER_USER counts a user's rooms
          new TableIndex({ name: 'IDX_rooms_owner', columnNames: ['owner_id'] }),
          // GET /rooms lists the public ones
          new TableIndex({ name: 'IDX_rooms_visibility', columnNames: ['visibility'] }),
        ],
        foreignKeys: [
          new TableForeignKey({
            name: 'FK_rooms_owner',
            columnNames: ['owner_id'],
            referencedTableName: 'users',
            referencedColumnNames: ['id'],
            onDelete: 'SET NULL',
          }),
        ],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'room_members',
        columns: [
          { name: 'room', type: 'varchar', length: '64', isPrimary: true },
          idColumn('user_id', { isPrimary: true }),
          { name: 'role', type: 'varchar', length: '16' },
          timeColumn('joined_at'),
          // null: before the room's first message
          idColumn('last_read_message_id', { isNullable: true }),
        ],
        // the primary key (room, user_id) serves member lists and counts; this one a user's rooms
        indices: [new TableIndex({ name: 'IDX_room_members_user', columnNames: ['user_id'] })],
        foreignKeys: [
          new TableForeignKey({
            name: 'FK_room_members_user',
            columnNames: ['user_id'],
            referencedTableName: 'users',
            referencedColumnNames: ['id'],
            onDelete: 'CASCADE',
          }),
        ],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'room_bans',
        columns: [
          { name: 'room', type: 'varchar', length: '64', isPrimary: true },
          idColumn('user_id', { isPrimary: true }),
          timeColumn('until', { isNullable: true }),
          { name: 'reason', type: 'varchar', length: '500', isNullable: true },
          timeColumn('created_at'),
        ],
        foreignKeys: [
          new TableForeignKey({
            name: 'FK_room_bans_user',
            columnNames: ['user_id'],
            referencedTableName: 'users',
            referencedColumnNames: ['id'],
            onDelete: 'CASCADE',
          }),
        ],
      }),
    );
    await this.backfillConversations(queryRunner);
  }

  /**
   * DMs sent before this migration: their two users become members (so the conversation is in
   * `GET /rooms`), with markers at the latest message: history from before read markers
   * existed does not suddenly show as unread.
   */
  private async backfillConversations(queryRunner: QueryRunner): Promise<void> {
    const conversations = (await queryRunner.query(
      "SELECT room, MAX(id) AS last_id, MIN(created_at) AS first_at FROM messages WHERE room LIKE 'dm:%' GROUP BY room",
    )) as Array<{ room: string; last_id: string; first_at: unknown }>;
    for (const { room, last_id: lastId, first_at: firstAt } of conversations) {
      const ids = room.split(':').slice(1);
      if (ids.length !== 2) continue;
      for (const userId of ids) {
        await queryRunner.query(
          'INSERT INTO room_members (room, user_id, role, joined_at, last_read_message_id) SELECT ?, id, ?, ?, ? FROM users WHERE id = ?',
          [room, 'member', firstAt, lastId, userId],
        );
      }
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('room_bans');
    await queryRunner.dropTable('room_members');
    await queryRunner.dropTable('rooms');
  }
}
