import { generateKeyPairSync } from 'node:crypto';
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

  describe('keys and external identity', () => {
    const pem = (pair: { privateKey: { export(o: object): string | Buffer }; publicKey: { export(o: object): string | Buffer } }) => ({
      private: pair.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
      public: pair.publicKey.export({ format: 'pem', type: 'spki' }).toString(),
    });
    const ec = pem(generateKeyPairSync('ec', { namedCurve: 'P-256' }));
    const ecP384 = pem(generateKeyPairSync('ec', { namedCurve: 'P-384' }));
    const ed = pem(generateKeyPairSync('ed25519'));
    const rsa = pem(generateKeyPairSync('rsa', { modulusLength: 2048 }));
    const files: Record<string, string> = {
      '/keys/ec.pem': ec.private,
      '/keys/ec.pub.pem': ec.public,
      '/keys/ec384.pem': ecP384.private,
      '/keys/ed.pem': ed.private,
      '/keys/ed.pub.pem': ed.public,
      '/keys/rsa.pem': rsa.private,
      '/keys/sec1.pem': generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'pem', type: 'sec1' }).toString(),
      '/keys/garbage.pem': '-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n',
    };
    const readFile = (path: string) => {
      if (!(path in files)) throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
      return files[path];
    };
    const load = (env: Record<string, string>) => loadAppConfig({ JWT_ACCESS_SECRET: SECRET_A, JWT_REFRESH_SECRET: SECRET_B, ...env }, readFile);
    const failure = (env: Record<string, string>) => {
      try {
        load(env);
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigError);
        return (error as Error).message;
      }
      throw new Error('expected a ConfigError');
    };

    it('defaults to HS256 with no previous keys and no external provider', () => {
      expect(load({})).toMatchObject({
        keys: { algorithm: 'HS256', accessSecretPrevious: null, refreshSecretPrevious: null, signingKey: null, signingKeyPrevious: null },
        oidc: null,
      });
    });

    it('takes previous secrets, all distinct, without echoing them', () => {
      const config = load({ JWT_ACCESS_SECRET_PREVIOUS: 'c'.repeat(32), JWT_REFRESH_SECRET_PREVIOUS: 'd'.repeat(32) });
      expect(config.keys).toMatchObject({ accessSecretPrevious: 'c'.repeat(32), refreshSecretPrevious: 'd'.repeat(32) });
      const message = failure({ JWT_ACCESS_SECRET_PREVIOUS: SECRET_A });
      expect(message).toMatch(/JWT_ACCESS_SECRET_PREVIOUS: must differ/);
      expect(message).not.toContain(SECRET_A);
      expect(failure({ JWT_REFRESH_SECRET_PREVIOUS: SECRET_A })).toMatch(/JWT_REFRESH_SECRET_PREVIOUS: must differ/);
      expect(failure({ JWT_ACCESS_SECRET_PREVIOUS: 'short' })).toMatch(/JWT_ACCESS_SECRET_PREVIOUS: must be at least 32/);
    });

    it.each([
      ['ES256', '/keys/ec.pem', '/keys/ec.pub.pem', 'ec'],
      ['EdDSA', '/keys/ed.pem', '/keys/ed.pub.pem', 'ed25519'],
    ])('loads %s keys: a PKCS#8 private key and a previous public or private one', (algorithm, current, previous, type) => {
      const config = load({ JWT_ALGORITHM: algorithm, JWT_SIGNING_KEY_FILE: current, JWT_SIGNING_KEY_PREVIOUS_FILE: previous });
      expect(config.keys.algorithm).toBe(algorithm);
      expect(config.keys.signingKey?.type).toBe('private');
      expect(config.keys.signingKey?.asymmetricKeyType).toBe(type);
      expect(config.keys.signingKeyPrevious?.type).toBe('public');
      expect(
        load({ JWT_ALGORITHM: algorithm, JWT_SIGNING_KEY_FILE: current, JWT_SIGNING_KEY_PREVIOUS_FILE: current }).keys.signingKeyPrevious?.type,
      ).toBe('public');
    });

    it('needs no JWT_ACCESS_SECRET with an asymmetric algorithm, even in production', () => {
      const config = loadAppConfig(
        { NODE_ENV: 'production', JWT_REFRESH_SECRET: SECRET_B, JWT_ALGORITHM: 'ES256', JWT_SIGNING_KEY_FILE: '/keys/ec.pem', METRICS_PORT: '9464' },
        readFile,
      );
      expect(config.warnings).toEqual([]);
      expect(() => loadAppConfig({ NODE_ENV: 'production', JWT_ALGORITHM: 'ES256', JWT_SIGNING_KEY_FILE: '/keys/ec.pem' }, readFile)).toThrow(
        /JWT_REFRESH_SECRET: required/,
      );
    });

    it.each([
      [{ JWT_ALGORITHM: 'RS256' }, 'JWT_ALGORITHM'],
      [{ JWT_ALGORITHM: 'none' }, 'JWT_ALGORITHM'],
      [{ JWT_ALGORITHM: 'ES256' }, 'JWT_SIGNING_KEY_FILE: required'],
      [{ JWT_ALGORITHM: 'ES256', JWT_SIGNING_KEY_FILE: '/keys/missing.pem' }, 'JWT_SIGNING_KEY_FILE: cannot read /keys/missing.pem (ENOENT)'],
      [{ JWT_ALGORITHM: 'ES256', JWT_SIGNING_KEY_FILE: '/keys/ed.pem' }, 'JWT_SIGNING_KEY_FILE: JWT_ALGORITHM=ES256 needs an EC P-256 key'],
      [{ JWT_ALGORITHM: 'ES256', JWT_SIGNING_KEY_FILE: '/keys/ec384.pem' }, 'JWT_SIGNING_KEY_FILE: JWT_ALGORITHM=ES256 needs an EC P-256 key'],
      [{ JWT_ALGORITHM: 'EdDSA', JWT_SIGNING_KEY_FILE: '/keys/ec.pem' }, 'JWT_SIGNING_KEY_FILE: JWT_ALGORITHM=EdDSA needs an Ed25519 key'],
      [{ JWT_ALGORITHM: 'EdDSA', JWT_SIGNING_KEY_FILE: '/keys/rsa.pem' }, 'JWT_SIGNING_KEY_FILE: JWT_ALGORITHM=EdDSA needs an Ed25519 key'],
      [{ JWT_ALGORITHM: 'ES256', JWT_SIGNING_KEY_FILE: '/keys/ec.pub.pem' }, 'JWT_SIGNING_KEY_FILE: expected an unencrypted PKCS#8'],
      [{ JWT_ALGORITHM: 'ES256', JWT_SIGNING_KEY_FILE: '/keys/sec1.pem' }, 'JWT_SIGNING_KEY_FILE: expected an unencrypted PKCS#8'],
      [{ JWT_ALGORITHM: 'ES256', JWT_SIGNING_KEY_FILE: '/keys/garbage.pem' }, 'JWT_SIGNING_KEY_FILE: not a PEM key'],
      [
        { JWT_ALGORITHM: 'EdDSA', JWT_SIGNING_KEY_FILE: '/keys/ed.pem', JWT_SIGNING_KEY_PREVIOUS_FILE: '/keys/ec.pub.pem' },
        'JWT_SIGNING_KEY_PREVIOUS_FILE: JWT_ALGORITHM=EdDSA needs',
      ],
      [
        { JWT_ALGORITHM: 'EdDSA', JWT_SIGNING_KEY_FILE: '/keys/ed.pem', JWT_SIGNING_KEY_PREVIOUS_FILE: '/nope' },
        'JWT_SIGNING_KEY_PREVIOUS_FILE: cannot read',
      ],
      [{ JWT_SIGNING_KEY_FILE: '/keys/ec.pem' }, 'JWT_SIGNING_KEY_FILE: only used with JWT_ALGORITHM=ES256 or EdDSA'],
      [{ JWT_SIGNING_KEY_PREVIOUS_FILE: '/keys/ec.pub.pem' }, 'JWT_SIGNING_KEY_PREVIOUS_FILE: only used with'],
    ])('stops on bad key configuration %j, naming the variable', (env, message) => {
      expect(failure(env as Record<string, string>)).toContain(message);
    });

    it('never shows key material in a message', () => {
      const message = failure({ JWT_ALGORITHM: 'EdDSA', JWT_SIGNING_KEY_FILE: '/keys/ec.pem' });
      expect(message).not.toContain('PRIVATE KEY');
      expect(message).not.toContain(ec.private.split('\n')[1]);
    });

    it('configures an external provider', () => {
      expect(load({ OIDC_ISSUER: 'https://id.example.com/realms/app', OIDC_AUDIENCE: 'parley', OIDC_ROLE_CLAIM: 'realm_access.roles' }).oidc).toEqual(
        {
          issuer: 'https://id.example.com/realms/app',
          audience: 'parley',
          jwksUrl: null,
          roleClaim: 'realm_access.roles',
        },
      );
      expect(
        load({ OIDC_ISSUER: 'https://id.example.com', OIDC_AUDIENCE: 'parley', OIDC_JWKS_URL: 'https://id.example.com/keys' }).oidc?.jwksUrl,
      ).toBe('https://id.example.com/keys');
    });

    it.each([
      [{ OIDC_ISSUER: 'https://id.example.com' }, 'OIDC_AUDIENCE: required with OIDC_ISSUER'],
      [{ OIDC_AUDIENCE: 'parley' }, 'OIDC_AUDIENCE: only used with OIDC_ISSUER'],
      [{ OIDC_JWKS_URL: 'https://id.example.com/keys' }, 'OIDC_JWKS_URL: only used with OIDC_ISSUER'],
      [{ OIDC_ISSUER: 'not a url', OIDC_AUDIENCE: 'parley' }, 'OIDC_ISSUER'],
      [{ OIDC_ISSUER: 'https://id.example.com', OIDC_AUDIENCE: 'parley', OIDC_JWKS_URL: 'ftp://x/keys' }, 'OIDC_JWKS_URL'],
      [{ OIDC_ISSUER: 'https://id.example.com', OIDC_AUDIENCE: 'parley', OIDC_ROLE_CLAIM: 'a..b' }, 'OIDC_ROLE_CLAIM'],
      [
        { OIDC_ISSUER: 'https://id.example.com', OIDC_AUDIENCE: 'parley', JWT_ISSUER: 'https://id.example.com' },
        'OIDC_ISSUER: must differ from JWT_ISSUER',
      ],
      [{ OIDC_ISSUER: `https://id.example.com/${'x'.repeat(250)}`, OIDC_AUDIENCE: 'parley' }, 'OIDC_ISSUER: at most 255 characters'],
    ])('stops on bad provider configuration %j, naming the variable', (env, message) => {
      expect(failure(env as Record<string, string>)).toContain(message);
    });
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
      const { webhooks } = loadAppConfig({
        ...HOOK,
        WEBHOOK_EVENTS: 'message.created, user.offline',
        WEBHOOK_OFFLINE_DELAY: '2s',
        WEBHOOK_UNREAD_DELAY: '5m',
      });
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

describe('server API and /live configuration', () => {
  it('has the documented defaults', () => {
    expect(loadAppConfig({})).toMatchObject({
      apiRateLimit: { limit: 1000, windowMs: 1000 },
      channelHistorySize: 100,
      channelHistoryTtlMs: 600_000,
      wsMaxChannelsPerSocket: 100,
    });
  });

  it('reads each variable', () => {
    expect(
      loadAppConfig({ API_RATE_LIMIT: '5/10s', CHANNEL_HISTORY_SIZE: '7', CHANNEL_HISTORY_TTL: '30s', WS_MAX_CHANNELS_PER_SOCKET: '3' }),
    ).toMatchObject({ apiRateLimit: { limit: 5, windowMs: 10_000 }, channelHistorySize: 7, channelHistoryTtlMs: 30_000, wsMaxChannelsPerSocket: 3 });
  });

  it.each([
    ['API_RATE_LIMIT', 'lots'],
    ['CHANNEL_HISTORY_SIZE', '0'],
    ['CHANNEL_HISTORY_TTL', '10 minutes'],
    ['WS_MAX_CHANNELS_PER_SOCKET', '-3'],
  ])('stops on an invalid %s, naming it', (name, value) => {
    expect(() => loadAppConfig({ [name]: value })).toThrow(name);
  });
});
