import { MigrationInterface, QueryRunner, Table, TableIndex } from 'typeorm';
import { idColumn, timeColumn } from '../column-types';

/**
 * The webhook outbox: one row per event not delivered yet, written in the transaction of the
 * change that causes it, deleted once delivered or dropped. `deliver_after` is the next
 * attempt (later for retries, and for events that wait: user.offline, message.unread);
 * `claimed_by` / `claimed_until` is the lease of the node attempting it.
 */
export class WebhookEvents1733500000000 implements MigrationInterface {
  name = 'WebhookEvents1733500000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'webhook_events',
        columns: [
          idColumn('id', { isPrimary: true }),
          { name: 'type', type: 'varchar', length: '32' },
          // the POSTed JSON, as it is signed and sent
          { name: 'body', type: 'text' },
          // what a later change may cancel (a reconnect cancels `user.offline:<user id>`)
          { name: 'subject', type: 'varchar', length: '100', isNullable: true },
          { name: 'attempts', type: 'int', default: 0 },
          timeColumn('deliver_after'),
          { name: 'claimed_by', type: 'varchar', length: '100', isNullable: true },
          timeColumn('claimed_until', { isNullable: true }),
          timeColumn('created_at'),
        ],
        indices: [
          new TableIndex({ name: 'IDX_webhook_events_deliver_after', columnNames: ['deliver_after'] }),
          new TableIndex({ name: 'IDX_webhook_events_subject', columnNames: ['subject'] }),
        ],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('webhook_events');
  }
}
