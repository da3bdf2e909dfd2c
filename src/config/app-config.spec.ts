import { availableParallelism } from 'node:os';
import { WEBHOOK_TYPES } from '../protocol';
import { ConfigError, loadAppConfig, WEBHOOK_RETRY_DELAYS_MS } from './app-config';

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

  it('treats empty values as unset', () => {
    expect(loadAppConfig({ PORT: '', REDIS_URL: '' })).toMatchObject({ port: 3000, redisUrl: null });
  });

  describe('webhooks', () => {
    const HOOK = { WEBHOOK_URL: 'https://backend.example.com/parley', WEBHOOK_SECRET: 'w'.repeat(32) };

    it('are off without WEBHOOK_URL', () => {
      expect(loadAppConfig({}).webhooks).toBeNull();
    });

    it('default to every type, 10 s offline, 60 s unread and the contract retry schedule', () => {
      const { webhooks } = loadAppConfig(HOOK);
      expect(webhooks).toMatchObject({ url: HOOK.WEBHOOK_URL, secret: HOOK.WEBHOOK_SECRET, offlineDelayMs: 10_000, unreadDelayMs: 60_000 });
      expect([...(webhooks?.events ?? [])]).toEqual(WEBHOOK_TYPES);
      expect(webhooks?.retryDelaysMs).toEqual([10_000, 60_000, 5 * 60_000, 30 * 60_000, 2 * 3_600_000]);
      expect(WEBHOOK_RETRY_DELAYS_MS).toEqual([10_000, 60_000, 300_000, 1_800_000, 7_200_000]);
    });

    it('parses the event list and the delays', () => {
      const { webhooks } = loadAppConfig({ ...HOOK, WEBHOOK_EVENTS: 'message.created, user.offline', WEBHOOK_OFFLINE_DELAY: '2s', WEBHOOK_UNREAD_DELAY: '5m' });
      expect([...(webhooks?.events ?? [])]).toEqual(['message.created', 'user.offline']);
      expect(webhooks).toMatchObject({ offlineDelayMs: 2000, unreadDelayMs: 300_000 });
    });

    it.each([
      ['WEBHOOK_URL', { ...HOOK, WEBHOOK_URL: 'ftp://backend.example.com' }],
      ['WEBHOOK_URL', { ...HOOK, WEBHOOK_URL: 'not a url' }],
      ['WEBHOOK_SECRET', { WEBHOOK_URL: HOOK.WEBHOOK_URL }],
      ['WEBHOOK_SECRET', { ...HOOK, WEBHOOK_SECRET: 'short' }],
      ['WEBHOOK_EVENTS', { ...HOOK, WEBHOOK_EVENTS: 'message.created,message.exploded' }],
      ['WEBHOOK_OFFLINE_DELAY', { ...HOOK, WEBHOOK_OFFLINE_DELAY: 'soon' }],
      ['WEBHOOK_UNREAD_DELAY', { ...HOOK, WEBHOOK_UNREAD_DELAY: '-1s' }],
    ])('stop the server on a bad %s, naming it', (name, env) => {
      expect(() => loadAppConfig(env)).toThrow(ConfigError);
      expect(() => loadAppConfig(env)).toThrow(name);
    });

    it('take a retry schedule override in tests only', () => {
      expect(loadAppConfig({ ...HOOK, NODE_ENV: 'test', WEBHOOK_RETRY_DELAYS: '100ms,200ms' }).webhooks?.retryDelaysMs).toEqual([100, 200]);
      expect(() => loadAppConfig({ ...HOOK, WEBHOOK_RETRY_DELAYS: '100ms' })).toThrow(/WEBHOOK_RETRY_DELAYS: only for tests/);
    });
  });
});
