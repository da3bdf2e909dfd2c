import { QueryRunner, TableColumn, TableColumnOptions } from 'typeorm';

/** Column helpers shared by the migrations, so SQLite and MySQL get equivalent types. */
export const idColumn = (name: string, options: Partial<TableColumnOptions> = {}): TableColumnOptions => ({
  name,
  type: 'varchar',
  length: '26',
  ...options,
});

export const timeColumn = (name: string, options: Partial<TableColumnOptions> = {}): TableColumnOptions => ({
  name,
  type: 'datetime',
  precision: 3,
  ...options,
});

/**
 * TypeORM changes a SQLite table by rebuilding it (create, copy, DROP, rename), and dropping
 * `users` cascades into every table whose foreign key points at it (sessions, messages): a
 * column added that way would sign everybody out. SQLite adds and drops plain columns in
 * place (ALTER TABLE … ADD / DROP COLUMN), so these do that; MySQL/MariaDB alter in place anyway.
 */
export async function addColumnInPlace(queryRunner: QueryRunner, table: string, column: TableColumn): Promise<void> {
  if (queryRunner.connection.options.type === 'mysql') return queryRunner.addColumn(table, column);
  const type = column.length ? `${column.type}(${column.length})` : column.type;
  await queryRunner.query(`ALTER TABLE "${table}" ADD COLUMN "${column.name}" ${type}${column.isNullable ? '' : ' NOT NULL'}`);
}

export async function dropColumnInPlace(queryRunner: QueryRunner, table: string, column: string): Promise<void> {
  if (queryRunner.connection.options.type === 'mysql') return queryRunner.dropColumn(table, column);
  await queryRunner.query(`ALTER TABLE "${table}" DROP COLUMN "${column}"`);
}
