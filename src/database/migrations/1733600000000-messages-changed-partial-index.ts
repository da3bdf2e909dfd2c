import { MigrationInterface, QueryRunner, TableIndex } from 'typeorm';

const NAME = 'IDX_messages_room_changed';

/**
 * On SQLite, (room, changed_at) indexes only the messages that changed (a partial index). Every
 * new message has no change, so the full index put every INSERT into a page of the room's NULL
 * run: one more page in the WAL of each commit, for every room of the batch. A resume asks
 * `changed_at > T`, which implies NOT NULL, so the planner still uses it. MySQL has no partial
 * indexes: there the full one stays.
 */
export class MessagesChangedPartialIndex1733600000000 implements MigrationInterface {
  name = 'MessagesChangedPartialIndex1733600000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await this.replace(queryRunner, 'changed_at IS NOT NULL');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await this.replace(queryRunner, undefined);
  }

  private async replace(queryRunner: QueryRunner, where: string | undefined): Promise<void> {
    if (queryRunner.connection.driver.options.type !== 'better-sqlite3') return;
    await queryRunner.dropIndex('messages', NAME);
    await queryRunner.createIndex('messages', new TableIndex({ name: NAME, columnNames: ['room', 'changed_at'], where }));
  }
}
