import { MigrationInterface, QueryRunner, TableColumn, TableIndex } from 'typeorm';
import { timeColumn } from '../column-types';

/**
 * Edits, tombstones and reactions live on the message row (reactions as JSON, in order of
 * first use). `changed_at` is the time of the latest edit, deletion or reaction, indexed with
 * the room so that a resume's "changed after T in room R" is a range scan; `version` makes
 * every change a compare-and-swap, so two nodes changing one message never lose an update.
 */
export class MessageLifecycle1733100000001 implements MigrationInterface {
  name = 'MessageLifecycle1733100000001';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumns('messages', [
      new TableColumn(timeColumn('edited_at', { isNullable: true })),
      new TableColumn(timeColumn('deleted_at', { isNullable: true })),
      new TableColumn({ name: 'reactions', type: 'text', isNullable: true }),
      new TableColumn(timeColumn('changed_at', { isNullable: true })),
      new TableColumn({ name: 'version', type: 'int', default: 0 }),
    ]);
    await queryRunner.createIndex('messages', new TableIndex({ name: 'IDX_messages_room_changed', columnNames: ['room', 'changed_at'] }));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropIndex('messages', 'IDX_messages_room_changed');
    for (const column of ['version', 'changed_at', 'reactions', 'deleted_at', 'edited_at']) await queryRunner.dropColumn('messages', column);
  }
}
