import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityTarget, ObjectLiteral } from 'typeorm';
import { ColumnMetadata } from 'typeorm/metadata/ColumnMetadata';

/**
 * Hand-written statements for an entity's hot paths, built once per shape instead of going
 * through TypeORM's query builder on every call (it showed up at ~14% of the CPU profile under
 * fan-out). Names come from the entity metadata and values pass through the driver's own
 * conversion, so the same code serves SQLite and MySQL.
 */
export class RowSql<T extends ObjectLiteral> {
  private readonly columns: ColumnMetadata[];
  private readonly insertByCount = new Map<number, string>();
  private readonly table: string;
  private readonly columnList: string;

  constructor(
    private readonly dataSource: DataSource,
    private readonly entity: new () => T,
  ) {
    const metadata = dataSource.getMetadata(entity as EntityTarget<T>);
    this.columns = metadata.columns;
    this.table = dataSource.driver.escape(metadata.tableName);
    this.columnList = this.columns.map((c) => dataSource.driver.escape(c.databaseName)).join(', ');
  }

  /** `INSERT … VALUES (…), (…)` for `rowCount` rows; pair with `values`. */
  insert(rowCount: number): string {
    let sql = this.insertByCount.get(rowCount);
    if (!sql) {
      const tuple = `(${this.columns.map(() => '?').join(', ')})`;
      sql = `INSERT INTO ${this.table} (${this.columnList}) VALUES ${Array.from({ length: rowCount }, () => tuple).join(', ')}`;
      this.insertByCount.set(rowCount, sql);
    }
    return sql;
  }

  /** `UPDATE … SET a = ?, … WHERE x = ? AND …`; parameters from `valuesOf(row, set)` then `valuesOf(row, where)`. */
  update(set: ReadonlyArray<keyof T & string>, where: ReadonlyArray<keyof T & string>): string {
    const assignments = set.map((p) => `${this.column(p)} = ?`).join(', ');
    return `UPDATE ${this.table} SET ${assignments} WHERE ${where.map((p) => `${this.column(p)} = ?`).join(' AND ')}`;
  }

  /** The given properties of a row, converted by the driver, in order. */
  valuesOf(row: T, properties: ReadonlyArray<keyof T & string>): unknown[] {
    return properties.map((p) => {
      const column = this.columnMetadata(p);
      return this.dataSource.driver.preparePersistentValue(column.getEntityValue(row), column);
    });
  }

  /** A row's parameters, in the column order of `insert`. */
  values(row: T): unknown[] {
    return this.columns.map((column) => this.dataSource.driver.preparePersistentValue(column.getEntityValue(row), column));
  }

  /** A value as the driver stores it in the property's column (e.g. a Date for a hand-written WHERE). */
  param(property: keyof T & string, value: unknown): unknown {
    const column = this.columns.find((c) => c.propertyName === property);
    if (!column) throw new Error(`${this.table} has no column for ${property}`);
    return this.dataSource.driver.preparePersistentValue(value, column);
  }

  /** `alias.column AS column, …` for every column: a hand-written SELECT whose rows `hydrate` reads. */
  selectList(alias: string): string {
    const escape = (name: string) => this.dataSource.driver.escape(name);
    return this.columns.map((c) => `${alias}.${escape(c.databaseName)} AS ${escape(c.databaseName)}`).join(', ');
  }

  /** A column's value as a hand-written query returned it, converted as TypeORM would (e.g. a Date). */
  hydrateValue(property: keyof T & string, raw: unknown): unknown {
    return this.dataSource.driver.prepareHydratedValue(raw, this.columnMetadata(property));
  }

  /**
   * Rows matching any of the groups `(group = ? AND member IN (?, …))`; parameters are each
   * group's value followed by its members.
   */
  async selectByGroups(groupProperty: keyof T & string, memberProperty: keyof T & string, groups: Array<[unknown, unknown[]]>): Promise<T[]> {
    if (groups.length === 0) return [];
    const group = this.column(groupProperty);
    const member = this.column(memberProperty);
    const terms = groups.map(([, members]) => `(${group} = ? AND ${member} IN (${members.map(() => '?').join(', ')}))`);
    const raw = (await this.dataSource.query(
      `SELECT ${this.columnList} FROM ${this.table} WHERE ${terms.join(' OR ')}`,
      groups.flatMap(([value, members]) => [value, ...members]),
    )) as Array<Record<string, unknown>>;
    return raw.map((r) => this.hydrate(r));
  }

  private column(property: string): string {
    return this.dataSource.driver.escape(this.columnMetadata(property).databaseName);
  }

  private columnMetadata(property: string): ColumnMetadata {
    const column = this.columns.find((c) => c.propertyName === property);
    if (!column) throw new Error(`${this.table} has no column for ${property}`);
    return column;
  }

  /** An entity from a row with every column of `selectList` (or the table's own names). */
  hydrate(raw: Record<string, unknown>): T {
    const row = new this.entity();
    for (const column of this.columns) {
      column.setEntityValue(row, this.dataSource.driver.prepareHydratedValue(raw[column.databaseName], column));
    }
    return row;
  }
}

/** Hands out `RowSql` for an entity, so domain modules need no DataSource of their own. */
@Injectable()
export class RowSqlFactory {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  for<T extends ObjectLiteral>(entity: new () => T): RowSql<T> {
    return new RowSql(this.dataSource, entity);
  }
}

/** A DATETIME column read by a raw query: a Date from MySQL, a UTC `YYYY-MM-DD HH:MM:SS.sss` string from SQLite. */
export function rawDate(value: unknown): Date | null {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value;
  const text = String(value);
  return new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(text) ? text : `${text.replace(' ', 'T')}Z`);
}
