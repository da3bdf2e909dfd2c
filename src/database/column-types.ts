import { TableColumnOptions } from 'typeorm';

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
