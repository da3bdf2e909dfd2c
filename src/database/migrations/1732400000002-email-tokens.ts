import { MigrationInterface, QueryRunner, Table, TableForeignKey, TableIndex } from 'typeorm';
import { idColumn, timeColumn } from '../column-types';

export class EmailTokens1732400000002 implements MigrationInterface {
  name = 'EmailTokens1732400000002';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'email_tokens',
        columns: [
          idColumn('id', { isPrimary: true }),
          idColumn('user_id'),
          { name: 'kind', type: 'varchar', length: '16' },
          { name: 'token_hash', type: 'varchar', length: '64' },
          timeColumn('expires_at'),
          timeColumn('used_at', { isNullable: true }),
          timeColumn('created_at'),
        ],
        indices: [
          new TableIndex({ name: 'UQ_email_tokens_hash', columnNames: ['token_hash'], isUnique: true }),
          new TableIndex({ name: 'IDX_email_tokens_user_kind', columnNames: ['user_id', 'kind'] }),
        ],
        foreignKeys: [
          new TableForeignKey({
            name: 'FK_email_tokens_user',
            columnNames: ['user_id'],
            referencedTableName: 'users',
            referencedColumnNames: ['id'],
            onDelete: 'CASCADE',
          }),
        ],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('email_tokens');
  }
}
