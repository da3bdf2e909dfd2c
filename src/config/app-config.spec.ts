import { availableParallelism } from 'node:os';
import { ConfigError, loadAppConfig } from './app-config';

const SECRET_A = 'a'.repeat(32);
const SECRET_B = 'b'.repeat(32);

describe('loadAppConfig', () => {
  it('applies the contract defaults and makes development secrets with a warning', () => {
    const config = loadAppConfig({});
    expect(config).toMatchObject({
      nodeEnv: 'development',
      port: 3000,
      database: { kind: 'sqlite', path: './data/app.sqlite' },
      redisUrl: null,
      bcryptCost: 12,
      corsOrigins: null,
      authRateLimit: { limit: 10, windowMs: 60_000 },
      wsRateLimit: { limit: 20, windowMs: 1000 },
      wsConnectRateLimit: { limit: 30, windowMs: 10_000 },
      wsMaxConnectionsPerUser: 10,
      wsAuthGraceMs: 30_000,
      requireEmailVerification: false,
      mail: { url: null, outboxDir: './data/outbox' },
      publicUrl: 'http://localhost:3000',
      logLevel: 'info',
      shutdownGraceMs: 5000,
      startupTimeoutMs: 60_000,
      metricsToken: null,
      metricsPort: null,
      docsEnabled: true,
    });
    expect(config.jwt).toMatchObject({ accessTtlMs: 900_000, refreshTtlMs: 604_800_000, issuer: 'parley', audience: 'parley-clients' });
    expect(config.jwt.accessSecret).not.toBe(config.jwt.refreshSecret);
    expect(config.jwt.accessSecret.length).toBeGreaterThanOrEqual(32);
    expect(config.warnings).toHaveLength(2);
    expect(loadAppConfig({}).jwt.accessSecret).not.toBe(config.jwt.accessSecret);
  });

  it('runs bcrypt on one thread fewer than the cores, at least one and at most four', () => {
    expect(loadAppConfig({}).bcryptConcurrency).toBe(Math.max(1, Math.min(availableParallelism() - 1, 4)));
  });

  it('parses every kind of value', () => {
    const config = loadAppConfig({
      PORT: '8080',
      DATABASE_URL: 'mysql://u:p@db:3306/parley',
      JWT_ACCESS_TTL: '30s',
      CORS_ORIGINS: 'https://a.example, https://b.example:8443',
      REQUIRE_EMAIL_VERIFICATION: 'true',
      MAIL_URL: 'smtps://u:p@smtp.example.com:465',
      JWT_ACCESS_SECRET: SECRET_A,
      JWT_REFRESH_SECRET: SECRET_B,
    });
    expect(config.port).toBe(8080);
    expect(config.database).toEqual({ kind: 'mysql', url: 'mysql://u:p@db:3306/parley' });
    expect(config.jwt.accessTtlMs).toBe(30_000);
    expect(config.corsOrigins).toEqual(['https://a.example', 'https://b.example:8443']);
    expect(config.requireEmailVerification).toBe(true);
    expect(config.publicUrl).toBe('http://localhost:8080');
    expect(config.warnings).toEqual([]);
  });

  it.each([
    ['PORT', 'eighty'],
    ['PORT', '70000'],
    ['DATABASE_URL', 'postgres://x/y'],
    ['JWT_ACCESS_TTL', '15 minutes'],
    ['JWT_REFRESH_TTL', '0s'],
    ['JWT_ACCESS_TTL', '500ms'],
    ['BCRYPT_COST', '3'],
    ['AUTH_RATE_LIMIT', 'ten per minute'],
    ['WS_RATE_LIMIT', '0/1s'],
    ['WS_MAX_CONNECTIONS_PER_USER', '-1'],
    ['REQUIRE_EMAIL_VERIFICATION', 'yes please'],
    ['MAIL_URL', 'http://not-smtp'],
    ['LOG_LEVEL', 'loud'],
    ['NODE_ENV', 'staging'],
    ['CORS_ORIGINS', 'not an origin'],
    ['REDIS_URL', 'localhost:6379'],
    ['SHUTDOWN_GRACE', 'five seconds'],
    ['SHUTDOWN_GRACE', '0s'],
    ['STARTUP_TIMEOUT', '500ms'],
    ['STARTUP_TIMEOUT', '-1s'],
    ['METRICS_TOKEN', 'short'],
    ['METRICS_TOKEN', 'has a space in it, long enough'],
    ['METRICS_PORT', '65536'],
    ['METRICS_PORT', 'nine'],
    ['DOCS_ENABLED', 'maybe'],
  ])('stops on an invalid %s, naming it', (name, value) => {
    expect(() => loadAppConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadAppConfig({ [name]: value })).toThrow(name);
  });

  it('refuses to start in production without both secrets', () => {
    expect(() => loadAppConfig({ NODE_ENV: 'production', JWT_ACCESS_SECRET: SECRET_A })).toThrow(/JWT_REFRESH_SECRET.*required/s);
    expect(() => loadAppConfig({ NODE_ENV: 'production', JWT_ACCESS_SECRET: SECRET_A, JWT_REFRESH_SECRET: SECRET_B })).not.toThrow();
  });

  it('refuses short or identical secrets without echoing them', () => {
    const short = 'tooshort-secret-value';
    expect(() => loadAppConfig({ JWT_ACCESS_SECRET: short })).toThrow(/JWT_ACCESS_SECRET: must be at least 32/);
    try {
      loadAppConfig({ JWT_ACCESS_SECRET: short });
    } catch (error) {
      expect((error as Error).message).not.toContain(short);
    }
    expect(() => loadAppConfig({ JWT_ACCESS_SECRET: SECRET_A, JWT_REFRESH_SECRET: SECRET_A })).toThrow(/must differ/);
  });

  it('parses the operations variables', () => {
    const config = loadAppConfig({
      SHUTDOWN_GRACE: '250ms',
      STARTUP_TIMEOUT: '2m',
      METRICS_TOKEN: 'scrape-token-0123456789',
      METRICS_PORT: '9464',
      DOCS_ENABLED: 'false',
    });
    expect(config).toMatchObject({
      shutdownGraceMs: 250,
      startupTimeoutMs: 120_000,
      metricsToken: 'scrape-token-0123456789',
      metricsPort: 9464,
      docsEnabled: false,
    });
    expect(loadAppConfig({ DOCS_ENABLED: '1', METRICS_PORT: '0' })).toMatchObject({ docsEnabled: true, metricsPort: 0 });
  });

  it('refuses METRICS_PORT equal to PORT', () => {
    expect(() => loadAppConfig({ PORT: '4000', METRICS_PORT: '4000' })).toThrow(/METRICS_PORT: must differ from PORT/);
  });

  it('warns in production when /metrics is public on the app port', () => {
    const production = { NODE_ENV: 'production', JWT_ACCESS_SECRET: SECRET_A, JWT_REFRESH_SECRET: SECRET_B };
    expect(loadAppConfig(production).warnings).toEqual([expect.stringContaining('METRICS_TOKEN or METRICS_PORT')]);
    expect(loadAppConfig({ ...production, METRICS_TOKEN: 'scrape-token-0123456789' }).warnings).toEqual([]);
    expect(loadAppConfig({ ...production, METRICS_PORT: '9464' }).warnings).toEqual([]);
    expect(loadAppConfig({}).warnings.join()).not.toContain('METRICS');
  });

  it('says whether a refused environment asked for production (its failure is then logged as JSON)', () => {
    const refused = (env: Record<string, string>) => {
      try {
        loadAppConfig(env);
      } catch (error) {
        return error as ConfigError;
      }
      throw new Error('expected a ConfigError');
    };
    expect(refused({ NODE_ENV: 'production' }).production).toBe(true);
    expect(refused({ NODE_ENV: 'production', PORT: 'x' }).production).toBe(true);
    expect(refused({ PORT: 'x' }).production).toBe(false);
    expect(refused({ NODE_ENV: 'staging' }).production).toBe(false);
  });

  it('treats empty values as unset', () => {
    expect(loadAppConfig({ PORT: '', REDIS_URL: '' })).toMatchObject({ port: 3000, redisUrl: null });
  });
});
