import { MigrationInterface, QueryRunner, Table, TableForeignKey, TableIndex } from 'typeorm';
import { idColumn, timeColumn } from '../column-types';

export class UsersAndSessions1732400000000 implements MigrationInterface {
  name = 'UsersAndSessions1732400000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'users',
        columns: [
          idColumn('id', { isPrimary: true }),
          { name: 'email', type: 'varchar', length: '254' },
          { name: 'password_hash', type: 'varchar', length: '72' },
          { name: 'display_name', type: 'varchar', length: '100' },
          { name: 'role', type: 'varchar', length: '16', default: "'user'" },
          timeColumn('email_verified_at', { isNullable: true }),
          timeColumn('created_at'),
          timeColumn('updated_at'),
        ],
        indices: [new TableIndex({ name: 'UQ_users_email', columnNames: ['email'], isUnique: true })],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'sessions',
        columns: [
          idColumn('id', { isPrimary: true }),
          idColumn('user_id'),
          { name: 'refresh_hash', type: 'varchar', length: '64' },
          timeColumn('created_at'),
          timeColumn('last_used_at'),
          timeColumn('expires_at'),
          timeColumn('revoked_at', { isNullable: true }),
          { name: 'revoke_reason', type: 'varchar', length: '32', isNullable: true },
          { name: 'user_agent', type: 'varchar', length: '512', isNullable: true },
          { name: 'ip', type: 'varchar', length: '64', isNullable: true },
        ],
        indices: [
          new TableIndex({ name: 'IDX_sessions_user', columnNames: ['user_id'] }),
          new TableIndex({ name: 'IDX_sessions_revoked_at', columnNames: ['revoked_at'] }),
        ],
        foreignKeys: [
          new TableForeignKey({
            name: 'FK_sessions_user',
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
    await queryRunner.dropTable('sessions');
    await queryRunner.dropTable('users');
  }
}
