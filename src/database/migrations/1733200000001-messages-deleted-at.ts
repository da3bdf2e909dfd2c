import { MigrationInterface, QueryRunner, TableColumn } from 'typeorm';
import { addColumnInPlace, dropColumnInPlace, timeColumn } from '../column-types';

/**
 * `messages.deleted_at`: the tombstone of a deleted message (body emptied, row kept). The
 * message lifecycle (branch `rooms`) owns this column; this migration is only here so the
 * server API's moderation delete works before that lands — drop it when merging if that
 * branch adds the column itself.
 */
export class MessagesDeletedAt1733200000001 implements MigrationInterface {
  name = 'MessagesDeletedAt1733200000001';

  async up(queryRunner: QueryRunner): Promise<void> {
    if (!(await queryRunner.hasColumn('messages', 'deleted_at'))) await addColumnInPlace(queryRunner, 'messages', new TableColumn(timeColumn('deleted_at', { isNullable: true })));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await dropColumnInPlace(queryRunner, 'messages', 'deleted_at');
  }
}
