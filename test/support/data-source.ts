import { DataSource, DataSourceOptions } from 'typeorm';

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
