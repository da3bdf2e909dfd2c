import request from 'supertest';
import { DataSource } from 'typeorm';
import { DATABASES, startApp, testEnv, TestApp } from './support/app';

/**
 * Nodes of a fresh deployment start together (compose replicas, a rolling start): on a new MySQL
 * database each would apply the same migrations, and MySQL's DDL is not transactional.
 */
const mysql = DATABASES.find((d) => d.name === 'mysql');
if (!mysql) console.info('Concurrent start suite skipped: it needs TEST_MYSQL_URL.');

(mysql ? it : it.skip)(
  'three nodes started at once on a new MySQL database all come up, migrated once',
  async () => {
    const env = testEnv(await mysql!.url());
    const started = await Promise.allSettled([startApp(env), startApp(env), startApp(env)]);
    const apps = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
    try {
      expect(started.map((s) => (s.status === 'rejected' ? String(s.reason) : 'up'))).toEqual(['up', 'up', 'up']);
      for (const app of apps) await request(app.url).get('/health/ready').expect(200);
      const names = (await apps[0].app.get(DataSource).query('SELECT name FROM migrations')) as Array<{ name: string }>;
      expect(names.length).toBe(new Set(names.map((n) => n.name)).size);
    } finally {
      await Promise.all(apps.map((a: TestApp) => a.close()));
    }
  },
  60_000,
);

(mysql ? it : it.skip)(
  'a node opens its MySQL pools (30 shared, 4 for the writer) before it answers, not when a reconnect storm asks',
  async () => {
    const url = await mysql!.url();
    const app = await startApp(testEnv(url));
    try {
      const database = new URL(url).pathname.slice(1);
      const [{ n }] = (await app.app
        .get(DataSource)
        .query('SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE DB = ?', [database])) as Array<{ n: number | string }>;
      expect(Number(n)).toBeGreaterThanOrEqual(34);
    } finally {
      await app.close();
    }
  },
  60_000,
);
