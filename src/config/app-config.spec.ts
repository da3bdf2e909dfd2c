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
});

describe('loadAppConfig: rooms (part 2)', () => {
  it('defaults to 100 rooms per socket and 50 owned rooms per user', () => {
    expect(loadAppConfig({})).toMatchObject({ wsMaxRoomsPerSocket: 100, roomsPerUser: 50 });
  });

  it('takes other caps', () => {
    expect(loadAppConfig({ WS_MAX_ROOMS_PER_SOCKET: '3', ROOMS_PER_USER: '0' })).toMatchObject({ wsMaxRoomsPerSocket: 3, roomsPerUser: 0 });
  });

  it.each([
    ['WS_MAX_ROOMS_PER_SOCKET', '0'],
    ['WS_MAX_ROOMS_PER_SOCKET', 'many'],
    ['ROOMS_PER_USER', '-1'],
  ])('stops on an invalid %s, naming it', (name, value) => {
    expect(() => loadAppConfig({ [name]: value })).toThrow(name);
  });
});
