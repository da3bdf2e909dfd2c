import { createConnection } from 'mysql2/promise';

/** Drops the MySQL databases this run created (see freshMysqlDatabase in app.ts). */
export default async () => {
  const base = process.env.TEST_MYSQL_URL;
  const run = process.env.PARLEY_TEST_RUN;
  if (!base || !run) return;
  const prefix = `${new URL(base).pathname.slice(1) || 'parley_test'}_${run}_`;
  const connection = await createConnection({ uri: base.replace(/\/[^/]*$/, '/') });
  try {
    const [rows] = await connection.query('SHOW DATABASES');
    for (const { Database: name } of rows) {
      if (name.startsWith(prefix)) await connection.query(`DROP DATABASE \`${name}\``);
    }
  } finally {
    await connection.end();
  }
};
