import { MigrationInterface, QueryRunner, Table, TableForeignKey, TableIndex } from 'typeorm';
import { idColumn, timeColumn } from '../column-types';

export class Messages1732400000001 implements MigrationInterface {
  name = 'Messages1732400000001';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'messages',
        columns: [
          // ULIDs sort in creation order: history pages are range scans on (room, id).
          idColumn('id', { isPrimary: true }),
          { name: 'room', type: 'varchar', length: '64' },
          idColumn('sender_id'),
          { name: 'body', type: 'text' },
          { name: 'client_msg_id', type: 'varchar', length: '64', isNullable: true },
          timeColumn('created_at'),
        ],
        indices: [
          new TableIndex({ name: 'IDX_messages_room_id', columnNames: ['room', 'id'] }),
          new TableIndex({
            name: 'UQ_messages_sender_client_msg',
            columnNames: ['sender_id', 'client_msg_id'],
            isUnique: true,
          }),
        ],
        foreignKeys: [
          new TableForeignKey({
            name: 'FK_messages_sender',
            columnNames: ['sender_id'],
            referencedTableName: 'users',
            referencedColumnNames: ['id'],
            onDelete: 'CASCADE',
          }),
        ],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('messages');
  }
}
