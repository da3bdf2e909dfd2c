import { MigrationInterface, QueryRunner, TableColumn } from 'typeorm';

/**
 * `users.email`: compared exactly (the application stores it NFC + lower case), never by an
 * accent- or case-insensitive collation — on MySQL/MariaDB `utf8mb4_unicode_ci` made `alicé@…`
 * and `alice@…` the same row while the rate limiter counted them apart. It may be NULL: a user
 * provisioned by an external identity provider without a verified email has none. (SQLite
 * compares text exactly already; its table is rebuilt by TypeORM for the NULL.)
 */
export class UsersEmailExact1732500000000 implements MigrationInterface {
  name = 'UsersEmailExact1732500000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    if (queryRunner.connection.options.type === 'mysql') {
      await queryRunner.query('ALTER TABLE `users` MODIFY `email` varchar(254) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL');
      return;
    }
    await queryRunner.changeColumn('users', 'email', new TableColumn({ name: 'email', type: 'varchar', length: '254', isNullable: true }));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    if (queryRunner.connection.options.type === 'mysql') {
      await queryRunner.query('ALTER TABLE `users` MODIFY `email` varchar(254) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci NOT NULL');
      return;
    }
    await queryRunner.changeColumn('users', 'email', new TableColumn({ name: 'email', type: 'varchar', length: '254' }));
  }
}
