import { DataSource, DataSourceOptions } from 'typeorm';
import { loadAppConfig } from '../../src/config/app-config';
import { buildDataSourceOptions } from '../../src/database/data-source-options';
import { testEnv } from './app';

/**
 * The server's TypeORM options for a test database URL, with these migrations and no entities
 * (migration specs read and write with raw SQL); Nest's autoLoadEntities is left out.
 */
export function migrationOptions(databaseUrl: string, migrations: NonNullable<DataSourceOptions['migrations']>): DataSourceOptions {
  const options: DataSourceOptions & { autoLoadEntities?: boolean } = buildDataSourceOptions(loadAppConfig(testEnv(databaseUrl)).database);
  delete options.autoLoadEntities;
  return { ...options, entities: [], migrations };
}

/**
 * A data source for the length of `use`, destroyed even when `use` throws: on a 2-core machine
 * jest runs the suites in band, and one pool left open keeps it from ever exiting.
 */
export async function withDataSource<T>(options: DataSourceOptions, use: (source: DataSource) => Promise<T>): Promise<T> {
  const source = new DataSource(options);
  await source.initialize();
  try {
    return await use(source);
  } finally {
    await source.destroy();
  }
}
