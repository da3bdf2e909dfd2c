import { MigrationInterface, QueryRunner, Table, TableColumn, TableForeignKey, TableIndex } from 'typeorm';
import { idColumn, timeColumn } from '../column-types';

/**
 * Two-factor sign-in and credential-bound sessions (issue #21):
 * - `users.credentials_version`, incremented by every password change or reset and every 2FA
 *   change; `sessions.credentials_version` is the version a session was created under, so a
 *   login that raced a reset ends (checked on insert and on every refresh);
 * - `users.two_factor_*`: the TOTP secret (AES-256-GCM, key from configuration), a pending one
 *   during setup, when 2FA was enabled, and the last accepted time step (each code once);
 * - `recovery_codes` (keyed hashes, single use) and `mfa_challenges` (the second login step's
 *   token, stored as sha256, with its failure count).
 */
export class TwoFactorAndCredentials1733400000000 implements MigrationInterface {
  name = 'TwoFactorAndCredentials1733400000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumns('users', [
      new TableColumn({ name: 'credentials_version', type: 'int', default: 0 }),
      new TableColumn({ name: 'two_factor_secret', type: 'varchar', length: '255', isNullable: true }),
      new TableColumn({ name: 'two_factor_pending', type: 'varchar', length: '255', isNullable: true }),
      new TableColumn(timeColumn('two_factor_enabled_at', { isNullable: true })),
      new TableColumn({ name: 'two_factor_last_step', type: 'int', isNullable: true }),
    ]);
    await queryRunner.addColumn('sessions', new TableColumn({ name: 'credentials_version', type: 'int', default: 0 }));
    const userForeignKey = (table: string) =>
      new TableForeignKey({
        name: `FK_${table}_user`,
        columnNames: ['user_id'],
        referencedTableName: 'users',
        referencedColumnNames: ['id'],
        onDelete: 'CASCADE',
      });
    await queryRunner.createTable(
      new Table({
        name: 'recovery_codes',
        columns: [
          idColumn('id', { isPrimary: true }),
          idColumn('user_id'),
          { name: 'code_hash', type: 'varchar', length: '64' },
          timeColumn('used_at', { isNullable: true }),
          timeColumn('created_at'),
        ],
        indices: [new TableIndex({ name: 'IDX_recovery_codes_user_hash', columnNames: ['user_id', 'code_hash'] })],
        foreignKeys: [userForeignKey('recovery_codes')],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'mfa_challenges',
        columns: [
          { name: 'id', type: 'varchar', length: '64', isPrimary: true },
          idColumn('user_id'),
          { name: 'credentials_version', type: 'int' },
          { name: 'failures', type: 'int', default: 0 },
          timeColumn('expires_at'),
          timeColumn('used_at', { isNullable: true }),
          timeColumn('created_at'),
        ],
        indices: [new TableIndex({ name: 'IDX_mfa_challenges_user', columnNames: ['user_id'] })],
        foreignKeys: [userForeignKey('mfa_challenges')],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('mfa_challenges');
    await queryRunner.dropTable('recovery_codes');
    // ALTER TABLE … DROP COLUMN (SQLite ≥ 3.35, MySQL): TypeORM's SQLite dropColumn rebuilds the
    // table, and dropping `users` to rebuild it would cascade into every session.
    const columns: Array<[string, string]> = [
      ['sessions', 'credentials_version'],
      ...['two_factor_last_step', 'two_factor_enabled_at', 'two_factor_pending', 'two_factor_secret', 'credentials_version'].map(
        (c): [string, string] => ['users', c],
      ),
    ];
    for (const [table, column] of columns) await queryRunner.query(`ALTER TABLE \`${table}\` DROP COLUMN \`${column}\``);
  }
}
