import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { appPerSuite } from './support/app';

/**
 * The alert rules and the dashboard query series Parley really exports (a renamed metric
 * would leave an alert that never fires). Webhook delivery's series come with that feature.
 */
const NOT_YET_EXPORTED = new Set(['parley_webhook_queue_depth', 'parley_webhooks_total']);
const REDIS = process.env.TEST_REDIS_URL;

const root = join(__dirname, '..');
const assets = ['deploy/prometheus/alerts.yml', 'deploy/grafana/parley-dashboard.json'].map((path) => ({
  path,
  names: new Set([...readFileSync(join(root, path), 'utf8').matchAll(/\b((?:parley|nodejs|process)_[a-z0-9_]+)/g)].map((m) => m[1])),
}));

describe('deploy/ assets against /metrics', () => {
  const suite = appPerSuite(REDIS ? { REDIS_URL: REDIS, REDIS_KEY_PREFIX: `parley-assets-${process.pid}:` } : {});

  it.each(assets)('every series $path queries is exported', async ({ names }) => {
    await request(suite.t.url).get('/health/live'); // one request, so the HTTP histogram has series
    const text = (await request(suite.t.url).get('/metrics').expect(200)).text;
    const exported = new Set(
      [...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].flatMap(([, name, type]) =>
        type === 'histogram' ? [name, `${name}_bucket`, `${name}_count`, `${name}_sum`] : [name],
      ),
    );
    const missing = [...names].filter((name) => !exported.has(name) && !NOT_YET_EXPORTED.has(name) && (REDIS || name !== 'parley_redis_up'));
    expect(names.size).toBeGreaterThan(3);
    expect(missing).toEqual([]);
  });
});
