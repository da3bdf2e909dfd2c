import { MigrationInterface, QueryRunner, Table, TableForeignKey, TableIndex } from 'typeorm';
import { idColumn, timeColumn } from '../column-types';

/**
 * `user_identities`: the users an external OpenID provider vouches for, keyed by (issuer,
 * subject). Both compare exactly: `sub` is case-sensitive, so on MySQL/MariaDB the columns
 * are binary-collated (SQLite compares text exactly already).
 */
export class UserIdentities1733300000000 implements MigrationInterface {
  name = 'UserIdentities1733300000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const exact = queryRunner.connection.options.type === 'mysql' ? { charset: 'utf8mb4', collation: 'utf8mb4_bin' } : {};
    await queryRunner.createTable(
      new Table({
        name: 'user_identities',
        columns: [
          idColumn('id', { isPrimary: true }),
          idColumn('user_id'),
          { name: 'issuer', type: 'varchar', length: '255', ...exact },
          { name: 'subject', type: 'varchar', length: '255', ...exact },
          timeColumn('created_at'),
        ],
        indices: [
          new TableIndex({ name: 'UQ_user_identities_issuer_subject', columnNames: ['issuer', 'subject'], isUnique: true }),
          new TableIndex({ name: 'IDX_user_identities_user', columnNames: ['user_id'] }),
        ],
        foreignKeys: [
          new TableForeignKey({
            name: 'FK_user_identities_user',
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
    await queryRunner.dropTable('user_identities');
  }
}
