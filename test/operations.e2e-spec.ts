import request from 'supertest';
import { Readiness } from '../src/health/readiness';
import { MetricsServer } from '../src/metrics/metrics-server';
import { DATABASES, startApp, TestApp, testEnv } from './support/app';
import { closeAllSockets } from './support/clients';
import { TcpProxy } from './support/tcp-proxy';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const TOKEN = 'scrape-token-0123456789abcdef';
const REDIS = process.env.TEST_REDIS_URL;
const mysql = DATABASES.find((d) => d.name === 'mysql');

async function withApp(overrides: Record<string, string>, run: (t: TestApp) => Promise<void>): Promise<void> {
  const t = await startApp(testEnv(await DATABASES[0].url(), overrides));
  try {
    await run(t);
  } finally {
    closeAllSockets();
    await t.close();
  }
}

describe('probes', () => {
  it('live never looks at dependencies; ready (and /health) do, and answer 503 while draining', () =>
    withApp({}, async (t) => {
      await request(t.url).get('/health/live').expect(200, { status: 'ok' });
      const ready = await request(t.url).get('/health/ready').expect(200);
      expect(ready.body).toMatchObject({ status: 'ok', details: { database: { status: 'up' } } });
      expect((await request(t.url).get('/health').expect(200)).body).toEqual(ready.body);

      t.app.get(Readiness).drain();
      for (const path of ['/health/ready', '/health']) {
        const draining = await request(t.url).get(path).expect(503);
        expect(draining.body).toMatchObject({ statusCode: 503, message: expect.stringMatching(/draining/i) });
        expect(draining.headers['retry-after']).toBe('5');
      }
      await request(t.url).get('/health/live').expect(200);
    }));

  (mysql ? it : it.skip)(
    'ready answers 503 naming the database while it is cut, parley_database_up is 0; live stays 200',
    async () => {
      const target = new URL(await mysql!.url());
      const proxy = await TcpProxy.start(target.hostname, Number(target.port || 3306));
      try {
        await withApp({ DATABASE_URL: proxy.rewrite(target.toString()) }, async (t) => {
          await request(t.url).get('/health/ready').expect(200);
          expect((await request(t.url).get('/metrics').expect(200)).text).toMatch(/^parley_database_up 1$/m);
          proxy.cut();
          const down = await request(t.url).get('/health/ready').expect(503);
          expect(down.body).toMatchObject({ message: expect.stringContaining('database'), details: { database: { status: 'down' } } });
          expect((await request(t.url).get('/metrics').expect(200)).text).toMatch(/^parley_database_up 0$/m);
          await request(t.url).get('/health/live').expect(200);
          proxy.restore();
        });
      } finally {
        proxy.restore();
        await proxy.close();
      }
    },
    30_000,
  );

  (REDIS ? it : it.skip)(
    'ready answers 503 naming Redis while it is cut; live stays 200',
    async () => {
      const redis = new URL(REDIS as string);
      const proxy = await TcpProxy.start(redis.hostname, Number(redis.port || 6379));
      try {
        await withApp({ REDIS_URL: proxy.rewrite(REDIS as string), REDIS_KEY_PREFIX: `parley-ops-${process.pid}:` }, async (t) => {
          await request(t.url).get('/health/ready').expect(200);
          proxy.cut();
          const down = await request(t.url).get('/health/ready').expect(503);
          expect(down.body).toMatchObject({ message: expect.stringContaining('redis'), details: { redis: { status: 'down' } } });
          await request(t.url).get('/health/live').expect(200);
          proxy.restore();
          const deadline = Date.now() + 10_000;
          while ((await request(t.url).get('/health/ready')).status !== 200) {
            if (Date.now() > deadline) throw new Error('readiness did not recover within 10 s');
            await new Promise((resolve) => setTimeout(resolve, 200));
          }
        });
      } finally {
        proxy.restore();
        await proxy.close();
      }
    },
    30_000,
  );
});

describe('request ids', () => {
  it.each([
    ['a valid incoming id is kept', 'trace-4f3c.a_b-1', (id: string) => expect(id).toBe('trace-4f3c.a_b-1')],
    ['an invalid one is replaced', 'not valid!', (id: string) => expect(id).toMatch(UUID)],
    ['one too long is replaced', 'x'.repeat(129), (id: string) => expect(id).toMatch(UUID)],
  ])('%s', (_name, incoming, check) =>
    withApp({}, async (t) => {
      const res = await request(t.url).get('/auth/me').set('X-Request-Id', incoming).expect(401);
      check(res.headers['x-request-id']);
    }),
  );

  it('every answer carries one, a new one per request without an incoming id, refusals by the body parser included', () =>
    withApp({}, async (t) => {
      const ids = new Set<string>();
      const answers = [
        await request(t.url).get('/health/live').expect(200),
        await request(t.url).get('/nothing-here').expect(404),
        await request(t.url).post('/auth/login').set('Content-Type', 'application/json').send('{"email": ').expect(400),
        await request(t.url)
          .post('/auth/login')
          .set('Content-Type', 'application/json')
          .send(`{"x":"${'a'.repeat(200_000)}"}`)
          .expect(413),
        await request(t.url).get('/rooms/%E0%A4%A/messages').expect(400),
      ];
      for (const res of answers) {
        expect(res.headers['x-request-id']).toMatch(UUID);
        ids.add(res.headers['x-request-id']);
      }
      expect(ids.size).toBe(answers.length);
    }));
});

describe('/metrics', () => {
  it('is open without METRICS_TOKEN; has build info and buckets past the 5 s login queue; no Redis series without Redis', () =>
    withApp({}, async (t) => {
      await request(t.url).get('/health/live');
      const text = (await request(t.url).get('/metrics').expect(200)).text;
      expect(text).toMatch(new RegExp(`parley_build_info\\{version="\\d+\\.\\d+\\.\\d+",node="${process.version.replace(/\./g, '\\.')}"[^}]*\\} 1`));
      expect(text).toContain('parley_http_request_duration_seconds_bucket{le="5"');
      expect(text).toContain('parley_http_request_duration_seconds_bucket{le="10"');
      expect(text).not.toContain('parley_redis_up');
      expect(text).toMatch(/^parley_database_up 1$/m);
    }));

  (REDIS ? it : it.skip)('has parley_redis_up with REDIS_URL', () =>
    withApp({ REDIS_URL: REDIS as string, REDIS_KEY_PREFIX: `parley-ops-${process.pid}:` }, async (t) => {
      expect((await request(t.url).get('/metrics').expect(200)).text).toMatch(/^parley_redis_up 1$/m);
    }),
  );

  it('with METRICS_TOKEN: 401 without it or with another, 200 with it as a bearer token', () =>
    withApp({ METRICS_TOKEN: TOKEN }, async (t) => {
      for (const authorization of [undefined, `Bearer ${TOKEN}x`, `Bearer ${TOKEN.slice(1)}`, TOKEN, `Basic ${TOKEN}`]) {
        const req = request(t.url).get('/metrics');
        const res = await (authorization ? req.set('Authorization', authorization) : req).expect(401);
        expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
        expect(res.text).not.toContain('parley_');
      }
      const ok = await request(t.url).get('/metrics').set('Authorization', `Bearer ${TOKEN}`).expect(200);
      expect(ok.text).toContain('parley_build_info');
      // The user-token guard does not apply: a user's access token is not the metrics token.
    }));

  it('with METRICS_PORT: only there (404 on the app port), and the token still applies', () =>
    withApp({ METRICS_PORT: '0', METRICS_TOKEN: TOKEN }, async (t) => {
      const port = t.app.get(MetricsServer).port;
      expect(port).toEqual(expect.any(Number));
      expect(port).not.toBe(Number(new URL(t.url).port));
      const metricsUrl = `http://127.0.0.1:${port}`;
      await request(t.url).get('/metrics').set('Authorization', `Bearer ${TOKEN}`).expect(404);
      await request(metricsUrl).get('/metrics').expect(401);
      const ok = await request(metricsUrl).get('/metrics').set('Authorization', `Bearer ${TOKEN}`).expect(200);
      expect(ok.text).toContain('parley_build_info');
      expect(ok.headers['content-type']).toMatch(/^text\/plain/);
      await request(metricsUrl).get('/health/live').expect(404);
      await request(metricsUrl).get('/auth/me').expect(404);
    }));
});

describe('DOCS_ENABLED', () => {
  it('serves /docs and /docs/json by default', () =>
    withApp({}, async (t) => {
      await request(t.url).get('/docs').redirects(1).expect(200);
      expect((await request(t.url).get('/docs/json').expect(200)).body).toMatchObject({ openapi: expect.any(String) });
    }));

  it('false: neither exists', () =>
    withApp({ DOCS_ENABLED: 'false' }, async (t) => {
      await request(t.url).get('/docs').expect(404);
      await request(t.url).get('/docs/').expect(404);
      await request(t.url).get('/docs/json').expect(404);
    }));
});
