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

  describe('security review (issue #21)', () => {
    it('finding 1: TRUST_PROXY is false, a hop count or trusted addresses; true is refused', () => {
      expect(loadAppConfig({}).trustProxy).toBe(false);
      expect(loadAppConfig({ TRUST_PROXY: 'false' }).trustProxy).toBe(false);
      expect(loadAppConfig({ TRUST_PROXY: '2' }).trustProxy).toBe(2);
      expect(loadAppConfig({ TRUST_PROXY: '10.0.0.1, 192.168.0.0/16,::1' }).trustProxy).toEqual(['10.0.0.1', '192.168.0.0/16', '::1']);
      for (const value of ['true', '1.2.3.999', '10.0.0.0/99', 'yes']) {
        expect(() => loadAppConfig({ TRUST_PROXY: value })).toThrow(/TRUST_PROXY/);
      }
    });

    it('finding 15: JWT_ACCESS_TTL at most 24h and JWT_REFRESH_TTL at most 365d (setTimeout overflows past 24.8 days)', () => {
      expect(loadAppConfig({ JWT_ACCESS_TTL: '24h', JWT_REFRESH_TTL: '365d' }).jwt).toMatchObject({
        accessTtlMs: 86_400_000,
        refreshTtlMs: 365 * 86_400_000,
      });
      expect(() => loadAppConfig({ JWT_ACCESS_TTL: '25d' })).toThrow(/JWT_ACCESS_TTL/);
      expect(() => loadAppConfig({ JWT_ACCESS_TTL: '1441m' })).toThrow(/JWT_ACCESS_TTL/);
      expect(() => loadAppConfig({ JWT_REFRESH_TTL: '366d' })).toThrow(/JWT_REFRESH_TTL/);
    });

    it('finding 13: AUTH_IP_RATE_LIMIT defaults to 100/60s', () => {
      expect(loadAppConfig({}).authIpRateLimit).toEqual({ limit: 100, windowMs: 60_000 });
      expect(loadAppConfig({ AUTH_IP_RATE_LIMIT: '5/10s' }).authIpRateLimit).toEqual({ limit: 5, windowMs: 10_000 });
      expect(() => loadAppConfig({ AUTH_IP_RATE_LIMIT: 'many' })).toThrow(/AUTH_IP_RATE_LIMIT/);
    });

    it('two-factor: the TOTP encryption key is TWO_FACTOR_ENCRYPTION_KEY, else derived from JWT_REFRESH_SECRET (never either secret itself)', () => {
      const derived = loadAppConfig({ JWT_ACCESS_SECRET: SECRET_A, JWT_REFRESH_SECRET: SECRET_B });
      expect(derived.twoFactor.encryptionKey).toHaveLength(32);
      expect(
        derived.twoFactor.encryptionKey.equals(loadAppConfig({ JWT_ACCESS_SECRET: SECRET_A, JWT_REFRESH_SECRET: SECRET_B }).twoFactor.encryptionKey),
      ).toBe(true);
      expect(derived.twoFactor.encryptionKey.toString('utf8')).not.toContain(SECRET_B.slice(0, 8));
      const own = loadAppConfig({ JWT_ACCESS_SECRET: SECRET_A, JWT_REFRESH_SECRET: SECRET_B, TWO_FACTOR_ENCRYPTION_KEY: 'c'.repeat(32) });
      expect(own.twoFactor.encryptionKey.equals(derived.twoFactor.encryptionKey)).toBe(false);
      expect(() => loadAppConfig({ TWO_FACTOR_ENCRYPTION_KEY: 'short' })).toThrow(/TWO_FACTOR_ENCRYPTION_KEY/);
      // rotating JWT_REFRESH_SECRET: set TWO_FACTOR_ENCRYPTION_KEY to its old value first, and nothing changes
      const pinned = loadAppConfig({ JWT_ACCESS_SECRET: SECRET_A, JWT_REFRESH_SECRET: 'd'.repeat(32), TWO_FACTOR_ENCRYPTION_KEY: SECRET_B });
      expect(pinned.twoFactor.encryptionKey.equals(derived.twoFactor.encryptionKey)).toBe(true);
    });
  });
});
