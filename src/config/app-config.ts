import { createPrivateKey, createPublicKey, hkdfSync, KeyObject, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { availableParallelism, hostname } from 'node:os';
import { z } from 'zod';
import { WEBHOOK_TYPES, type WebhookType } from '../protocol';
import { parseDurationMs, parseRateLimit, RateLimit } from './duration';

export type DatabaseConfig = { kind: 'sqlite'; path: string } | { kind: 'mysql'; url: string };

export type TrustProxy = false | number | readonly string[];

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/**
 * The whole runtime configuration, parsed and validated once at boot.
 * Also the DI token: inject `AppConfig` anywhere; nothing else reads `process.env`.
 */
export abstract class AppConfig {
  abstract readonly nodeEnv: 'production' | 'development' | 'test';
  abstract readonly port: number;
  abstract readonly database: DatabaseConfig;
  abstract readonly redisUrl: string | null;
  /** Prefix of every Redis key and channel, so several deployments can share one Redis. */
  abstract readonly redisKeyPrefix: string;
  abstract readonly jwt: {
    readonly accessSecret: string;
    readonly refreshSecret: string;
    readonly accessTtlMs: number;
    readonly refreshTtlMs: number;
    readonly issuer: string;
    readonly audience: string;
  };
  abstract readonly bcryptCost: number;
  /** bcrypt hashes run at once (threads of their own): one fewer than the cores, 1 to 4. */
  abstract readonly bcryptConcurrency: number;
  /** null = same origin only. `*` in the list allows any origin. */
  abstract readonly corsOrigins: readonly string[] | null;
  /**
   * Which peers may tell us the client's address in `X-Forwarded-For`: none (`false`), the
   * nearest N hops, or these addresses / CIDRs. The client is the first untrusted address
   * counting from the right (src/common/client-ip.ts).
   */
  abstract readonly trustProxy: TrustProxy;
  abstract readonly authRateLimit: RateLimit;
  abstract readonly wsRateLimit: RateLimit;
  abstract readonly wsConnectRateLimit: RateLimit;
  abstract readonly wsMaxConnectionsPerUser: number;
  abstract readonly wsAuthGraceMs: number;
  abstract readonly requireEmailVerification: boolean;
  abstract readonly mail: { readonly url: string | null; readonly outboxDir: string };
  abstract readonly publicUrl: string;
  abstract readonly logLevel: LogLevel;
  abstract readonly nodeId: string;
  /** After SIGTERM: readiness answers 503 this long before sockets are closed. */
  abstract readonly shutdownGraceMs: number;
  /** How long start-up waits for the database and Redis before giving up. */
  abstract readonly startupTimeoutMs: number;
  /** Bearer token `/metrics` requires; null = no token. */
  abstract readonly metricsToken: string | null;
  /** Serve `/metrics` on this port only (not on `port`); null = on the app port. */
  abstract readonly metricsPort: number | null;
  /** `/docs` and `/docs/json` (OpenAPI). */
  abstract readonly docsEnabled: boolean;
  // ---- server API and /live (API.md part 2) ----
  /** API_RATE_LIMIT: requests per API key in a window (shared through Redis when set). */
  abstract readonly apiRateLimit: RateLimit;
  /** CHANNEL_HISTORY_SIZE: publications kept per channel. */
  abstract readonly channelHistorySize: number;
  /** CHANNEL_HISTORY_TTL: how long a publication stays in history. */
  abstract readonly channelHistoryTtlMs: number;
  /** WS_MAX_CHANNELS_PER_SOCKET: channels one /live socket may subscribe to. */
  abstract readonly wsMaxChannelsPerSocket: number;
  /** Things worth shouting about at boot (e.g. generated development secrets). */
  abstract readonly warnings: readonly string[];
  // ---- rooms (part 2) ----
  /** Rooms one socket may be in at once (`announcements` included); then LIMIT_EXCEEDED. */
  abstract readonly wsMaxRoomsPerSocket: number;
  /** Rooms one user may own; then 409. */
  abstract readonly roomsPerUser: number;
  // ---- security review and two-factor (issue #21) ----
  /** Login, register, forgot and 2FA attempts per client IP (IPv6 by /64), over every email. */
  abstract readonly authIpRateLimit: RateLimit;
  abstract readonly twoFactor: {
    /** 32 bytes for AES-256-GCM of the TOTP secrets; from config, never stored in the database. */
    readonly encryptionKey: Buffer;
  };
  /** Signing keys beyond `jwt`: the previous secrets (rotation) and asymmetric access tokens. */
  abstract readonly keys: {
    readonly algorithm: AccessAlgorithm;
    /** verify only: tokens signed with them stay valid until they expire */
    readonly accessSecretPrevious: string | null;
    readonly refreshSecretPrevious: string | null;
    /** ES256 / EdDSA: the private key that signs access tokens (null under HS256) */
    readonly signingKey: KeyObject | null;
    /** the public key of the previous signing key, verify only */
    readonly signingKeyPrevious: KeyObject | null;
  };
  /** An external OpenID Connect provider whose access tokens are accepted, or null. */
  abstract readonly oidc: OidcConfig | null;
  /** null when WEBHOOK_URL is unset: no outbox rows are written at all. */
  abstract readonly webhooks: WebhookConfig | null;
}

export type AccessAlgorithm = 'HS256' | 'ES256' | 'EdDSA';

export interface OidcConfig {
  readonly issuer: string;
  readonly audience: string;
  /** null: from `<issuer>/.well-known/openid-configuration` */
  readonly jwksUrl: string | null;
  /** the claim that makes an admin: a name, or a dotted path such as `realm_access.roles` */
  readonly roleClaim: string | null;
}

export interface WebhookConfig {
  readonly url: string;
  readonly secret: string;
  readonly events: ReadonlySet<WebhookType>;
  readonly offlineDelayMs: number;
  readonly unreadDelayMs: number;
  /** Waits between attempts; WEBHOOK_RETRY_DELAYS overrides them only when NODE_ENV=test. */
  readonly retryDelaysMs: readonly number[];
}

/** API.md: retried after waits of 10 s, 1 m, 5 m, 30 m and 2 h between attempts, then dropped. */
export const WEBHOOK_RETRY_DELAYS_MS: readonly number[] = [10_000, 60_000, 300_000, 1_800_000, 7_200_000];

type Env = Record<string, string | undefined>;

const duration = (example: string, minMs = 0, max?: { ms: number; text: string }) =>
  z.string().transform((text, ctx) => {
    const ms = parseDurationMs(text);
    if (ms === null) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: `expected a duration such as ${example} (units ms, s, m, h, d)` });
      return z.NEVER;
    }
    if (ms < minMs) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: `must be at least ${minMs} ms` });
      return z.NEVER;
    }
    if (max && ms > max.ms) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: `must be at most ${max.text}` });
      return z.NEVER;
    }
    return ms;
  });

const rateLimit = z.string().transform((text, ctx) => {
  const parsed = parseRateLimit(text);
  if (!parsed) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'expected <count>/<window>, such as 10/60s' });
    return z.NEVER;
  }
  return parsed;
});

/** Past a few threads, more logins per second mean more nodes (docs/deploy.md: one node per core). */
const MAX_BCRYPT_THREADS = 4;

const intInRange = (min: number, max: number) =>
  z.string().regex(/^\d+$/, 'expected a whole number').transform(Number).pipe(z.number().int().min(min).max(max));

const bool = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');

const secret = z.string().min(32, 'must be at least 32 characters');

const databaseUrl = z.string().transform((text, ctx): DatabaseConfig => {
  if (text.startsWith('sqlite:')) {
    const path = text.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
    if (path.length > 0) return { kind: 'sqlite', path };
  } else if (/^mysql:\/\/[^/]+\/[^/?]+/.test(text)) {
    try {
      new URL(text);
      return { kind: 'mysql', url: text };
    } catch {
      // falls through to the issue below
    }
  }
  ctx.addIssue({
    code: z.ZodIssueCode.custom,
    message: 'expected sqlite:<path> or mysql://user:pass@host:3306/database',
  });
  return z.NEVER;
});

const url = (protocols: string[]) =>
  z.string().refine(
    (text) => {
      try {
        return protocols.includes(new URL(text).protocol);
      } catch {
        return false;
      }
    },
    `expected a ${protocols.join(' or ')} URL`,
  );

const schema = z.object({
  NODE_ENV: z.enum(['production', 'development', 'test']).default('development'),
  PORT: intInRange(0, 65535).default('3000'),
  DATABASE_URL: databaseUrl.default('sqlite:./data/app.sqlite'),
  REDIS_URL: url(['redis:', 'rediss:']).optional(),
  REDIS_KEY_PREFIX: z
    .string()
    .regex(/^[\w:.-]{1,64}$/, 'expected 1-64 of letters, digits, : . _ -')
    .default('parley:'),
  JWT_ACCESS_SECRET: secret.optional(),
  JWT_REFRESH_SECRET: secret.optional(),
  // JWT expiry has one-second resolution: a shorter lifetime would expire tokens at birth.
  // Upper bounds: timers on these lifetimes must stay below setTimeout's 2^31-1 ms (24.8 days),
  // and a stolen token must not live for years.
  JWT_ACCESS_TTL: duration('15m', 1000, { ms: 86_400_000, text: '24h' }).default('15m'),
  JWT_REFRESH_TTL: duration('7d', 1000, { ms: 365 * 86_400_000, text: '365d' }).default('7d'),
  JWT_ISSUER: z.string().min(1).default('parley'),
  JWT_AUDIENCE: z.string().min(1).default('parley-clients'),
  BCRYPT_COST: intInRange(4, 15).default('12'),
  CORS_ORIGINS: z.string().optional(),
  TRUST_PROXY: z.string().transform(parseTrustProxy).default('false'),
  AUTH_RATE_LIMIT: rateLimit.default('10/60s'),
  WS_RATE_LIMIT: rateLimit.default('20/1s'),
  WS_CONNECT_RATE_LIMIT: rateLimit.default('30/10s'),
  WS_MAX_CONNECTIONS_PER_USER: intInRange(1, 10_000).default('10'),
  WS_AUTH_GRACE: duration('30s').default('30s'),
  REQUIRE_EMAIL_VERIFICATION: bool.default('false'),
  MAIL_URL: url(['smtp:', 'smtps:']).optional(),
  MAIL_OUTBOX_DIR: z.string().min(1).default('./data/outbox'),
  PUBLIC_URL: url(['http:', 'https:']).optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  NODE_ID: z
    .string()
    .regex(/^[\w.-]{1,64}$/, 'expected 1-64 of letters, digits, . _ -')
    .optional(),
  // ---- rooms (part 2) ----
  WS_MAX_ROOMS_PER_SOCKET: intInRange(1, 100_000).default('100'),
  ROOMS_PER_USER: intInRange(0, 100_000).default('50'),
  // ---- security review and two-factor (issue #21) ----
  AUTH_IP_RATE_LIMIT: rateLimit.default('100/60s'),
  TWO_FACTOR_ENCRYPTION_KEY: secret.optional(),
  // Keys and external identity
  JWT_ACCESS_SECRET_PREVIOUS: secret.optional(),
  JWT_REFRESH_SECRET_PREVIOUS: secret.optional(),
  JWT_ALGORITHM: z.enum(['HS256', 'ES256', 'EdDSA']).default('HS256'),
  JWT_SIGNING_KEY_FILE: z.string().min(1).optional(),
  JWT_SIGNING_KEY_PREVIOUS_FILE: z.string().min(1).optional(),
  OIDC_ISSUER: url(['https:', 'http:']).optional(),
  OIDC_AUDIENCE: z.string().min(1).optional(),
  OIDC_JWKS_URL: url(['https:', 'http:']).optional(),
  OIDC_ROLE_CLAIM: z
    .string()
    .regex(/^[^.\s]+(\.[^.\s]+)*$/, 'expected a dotted claim path such as realm_access.roles')
    .optional(),
  SHUTDOWN_GRACE: duration('5s').default('5s'),
  STARTUP_TIMEOUT: duration('60s', 1000).default('60s'),
  // Compared in constant time; short tokens are guessable.
  METRICS_TOKEN: z
    .string()
    .regex(/^[\x21-\x7e]{16,256}$/, 'expected 16-256 printable characters without spaces')
    .optional(),
  METRICS_PORT: intInRange(0, 65535).optional(),
  DOCS_ENABLED: bool.default('true'),
  // server API and /live
  API_RATE_LIMIT: rateLimit.default('1000/1s'),
  CHANNEL_HISTORY_SIZE: intInRange(1, 10_000).default('100'),
  CHANNEL_HISTORY_TTL: duration('10m', 1000).default('10m'),
  WS_MAX_CHANNELS_PER_SOCKET: intInRange(1, 10_000).default('100'),
  // webhooks (API.md part 2)
  WEBHOOK_URL: url(['http:', 'https:']).optional(),
  WEBHOOK_SECRET: secret.optional(),
  WEBHOOK_EVENTS: z
    .string()
    .transform((text) =>
      text
        .split(',')
        .map((t) => t.trim())
        .filter(Boolean),
    )
    .pipe(
      z
        .array(
          z.enum(WEBHOOK_TYPES as [WebhookType, ...WebhookType[]], { message: `expected a comma-separated list of ${WEBHOOK_TYPES.join(', ')}` }),
        )
        .min(1),
    )
    .optional(),
  WEBHOOK_OFFLINE_DELAY: duration('10s').default('10s'),
  WEBHOOK_UNREAD_DELAY: duration('60s').default('60s'),
  WEBHOOK_RETRY_DELAYS: z
    .string()
    .transform((text, ctx) => {
      const delays = text.split(',').map((d) => parseDurationMs(d.trim()));
      if (delays.some((d) => d === null)) {
        ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'expected comma-separated durations' });
        return z.NEVER;
      }
      return delays as number[];
    })
    .optional(),
});

export class ConfigError extends Error {
  override readonly name = 'ConfigError';

  /** Whether the environment asked for production, so the failure can be reported as JSON. */
  constructor(
    message: string,
    readonly production = false,
  ) {
    super(message);
  }
}

function parseOrigins(text: string | undefined): string[] | null {
  if (text === undefined || text.trim() === '') return null;
  const origins = text
    .split(',')
    .map((o) => o.trim())
    .filter(Boolean);
  for (const origin of origins) {
    if (origin === '*') continue;
    let parsed: URL;
    try {
      parsed = new URL(origin);
    } catch {
      throw new ConfigError(`Invalid configuration: CORS_ORIGINS: "${origin}" is not an origin such as https://chat.example.com`);
    }
    if (parsed.origin !== origin.replace(/\/$/, '')) {
      throw new ConfigError(`Invalid configuration: CORS_ORIGINS: "${origin}" must be a bare origin (scheme://host[:port])`);
    }
  }
  return origins.map((o) => o.replace(/\/$/, ''));
}

/**
 * Validates the environment. Empty strings count as unset, so `FOO=` in `.env` means "default".
 * Messages name the variable but never echo a secret's value.
 */
export function loadAppConfig(rawEnv: Env, readFile: (path: string) => string = (path) => readFileSync(path, 'utf8')): AppConfig {
  try {
    return parseAppConfig(rawEnv, readFile);
  } catch (error) {
    if (error instanceof ConfigError) throw new ConfigError(error.message, rawEnv.NODE_ENV === 'production');
    throw error;
  }
}

function parseAppConfig(rawEnv: Env, readFile: (path: string) => string): AppConfig {
  const env: Env = {};
  for (const [key, value] of Object.entries(rawEnv)) {
    if (value !== undefined && value !== '') env[key] = value;
  }
  const result = schema.safeParse(env);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const v = result.data;
  const warnings: string[] = [];

  let accessSecret = v.JWT_ACCESS_SECRET;
  let refreshSecret = v.JWT_REFRESH_SECRET;
  const symmetricAccess = v.JWT_ALGORITHM === 'HS256';
  if (v.NODE_ENV === 'production' && symmetricAccess && (!accessSecret || !refreshSecret)) {
    throw new ConfigError(
      'Invalid configuration:\n  JWT_ACCESS_SECRET, JWT_REFRESH_SECRET: both are required when NODE_ENV=production (at least 32 characters each, different from each other)',
    );
  }
  if (v.NODE_ENV === 'production' && !refreshSecret) {
    throw new ConfigError('Invalid configuration:\n  JWT_REFRESH_SECRET: required when NODE_ENV=production (at least 32 characters)');
  }
  if (!accessSecret) {
    // Under ES256 / EdDSA access tokens are signed with JWT_SIGNING_KEY_FILE and this one signs nothing.
    accessSecret = randomBytes(48).toString('base64url');
    if (symmetricAccess) {
      warnings.push('JWT_ACCESS_SECRET is not set: using a random secret for this process only. Every token dies on restart. Set it in .env.');
    }
  }
  if (!refreshSecret) {
    refreshSecret = randomBytes(48).toString('base64url');
    warnings.push(
      `JWT_REFRESH_SECRET is not set: using a random secret for this process only. Every session dies on restart${v.TWO_FACTOR_ENCRYPTION_KEY ? '' : ', and so does every two-factor setup'}. Set it in .env.`,
    );
  }
  if (accessSecret === refreshSecret) {
    throw new ConfigError('Invalid configuration:\n  JWT_REFRESH_SECRET: must differ from JWT_ACCESS_SECRET');
  }
  if (v.METRICS_PORT !== undefined && v.METRICS_PORT !== 0 && v.METRICS_PORT === v.PORT) {
    throw new ConfigError('Invalid configuration:\n  METRICS_PORT: must differ from PORT');
  }
  if (v.NODE_ENV === 'production' && v.METRICS_TOKEN === undefined && v.METRICS_PORT === undefined) {
    warnings.push('/metrics is public on the app port: set METRICS_TOKEN or METRICS_PORT, or keep /metrics away from the internet at the proxy.');
  }

  return {
    nodeEnv: v.NODE_ENV,
    port: v.PORT,
    database: v.DATABASE_URL,
    redisUrl: v.REDIS_URL ?? null,
    redisKeyPrefix: v.REDIS_KEY_PREFIX,
    jwt: {
      accessSecret,
      refreshSecret,
      accessTtlMs: v.JWT_ACCESS_TTL,
      refreshTtlMs: v.JWT_REFRESH_TTL,
      issuer: v.JWT_ISSUER,
      audience: v.JWT_AUDIENCE,
    },
    bcryptCost: v.BCRYPT_COST,
    bcryptConcurrency: Math.max(1, Math.min(availableParallelism() - 1, MAX_BCRYPT_THREADS)),
    corsOrigins: parseOrigins(v.CORS_ORIGINS),
    trustProxy: v.TRUST_PROXY,
    authRateLimit: v.AUTH_RATE_LIMIT,
    wsRateLimit: v.WS_RATE_LIMIT,
    wsConnectRateLimit: v.WS_CONNECT_RATE_LIMIT,
    wsMaxConnectionsPerUser: v.WS_MAX_CONNECTIONS_PER_USER,
    wsAuthGraceMs: v.WS_AUTH_GRACE,
    requireEmailVerification: v.REQUIRE_EMAIL_VERIFICATION,
    mail: { url: v.MAIL_URL ?? null, outboxDir: v.MAIL_OUTBOX_DIR },
    publicUrl: (v.PUBLIC_URL ?? `http://localhost:${v.PORT}`).replace(/\/$/, ''),
    logLevel: v.LOG_LEVEL,
    nodeId: v.NODE_ID ?? `${hostnameSafe()}-${process.pid}`,
    shutdownGraceMs: v.SHUTDOWN_GRACE,
    startupTimeoutMs: v.STARTUP_TIMEOUT,
    metricsToken: v.METRICS_TOKEN ?? null,
    metricsPort: v.METRICS_PORT ?? null,
    docsEnabled: v.DOCS_ENABLED,
    apiRateLimit: v.API_RATE_LIMIT,
    channelHistorySize: v.CHANNEL_HISTORY_SIZE,
    channelHistoryTtlMs: v.CHANNEL_HISTORY_TTL,
    wsMaxChannelsPerSocket: v.WS_MAX_CHANNELS_PER_SOCKET,
    warnings,
    // ---- rooms (part 2) ----
    wsMaxRoomsPerSocket: v.WS_MAX_ROOMS_PER_SOCKET,
    roomsPerUser: v.ROOMS_PER_USER,
    // ---- security review and two-factor (issue #21) ----
    authIpRateLimit: v.AUTH_IP_RATE_LIMIT,
    twoFactor: { encryptionKey: twoFactorKey(v.TWO_FACTOR_ENCRYPTION_KEY, refreshSecret) },
    keys: parseKeys(v, { accessSecret, refreshSecret }, readFile),
    oidc: parseOidc(v),
    webhooks: webhookConfig(v),
  };
}

function configError(variable: string, message: string): ConfigError {
  return new ConfigError(`Invalid configuration:\n  ${variable}: ${message}`);
}

/** Reads and checks the key files; messages name the variable and the path, never key material. */
function parseKeys(
  v: z.infer<typeof schema>,
  current: { accessSecret: string; refreshSecret: string },
  readFile: (path: string) => string,
): AppConfig['keys'] {
  const secrets: Array<[string, string | undefined]> = [
    ['JWT_ACCESS_SECRET_PREVIOUS', v.JWT_ACCESS_SECRET_PREVIOUS],
    ['JWT_REFRESH_SECRET_PREVIOUS', v.JWT_REFRESH_SECRET_PREVIOUS],
  ];
  const seen = new Set([current.accessSecret, current.refreshSecret]);
  for (const [name, value] of secrets) {
    if (value === undefined) continue;
    if (seen.has(value)) throw configError(name, 'must differ from every other JWT secret');
    seen.add(value);
  }
  const algorithm = v.JWT_ALGORITHM;
  let signingKey: KeyObject | null = null;
  if (algorithm === 'HS256') {
    if (v.JWT_SIGNING_KEY_FILE) throw configError('JWT_SIGNING_KEY_FILE', 'only used with JWT_ALGORITHM=ES256 or EdDSA');
  } else {
    if (!v.JWT_SIGNING_KEY_FILE) throw configError('JWT_SIGNING_KEY_FILE', `required with JWT_ALGORITHM=${algorithm} (a PKCS#8 PEM private key)`);
    const pem = readKeyFile('JWT_SIGNING_KEY_FILE', v.JWT_SIGNING_KEY_FILE, readFile);
    if (!/-----BEGIN PRIVATE KEY-----/.test(pem)) {
      throw configError('JWT_SIGNING_KEY_FILE', 'expected an unencrypted PKCS#8 PEM private key (-----BEGIN PRIVATE KEY-----)');
    }
    signingKey = parseKey('JWT_SIGNING_KEY_FILE', () => createPrivateKey(pem));
    assertKeyType('JWT_SIGNING_KEY_FILE', signingKey, algorithm);
  }
  let signingKeyPrevious: KeyObject | null = null;
  if (v.JWT_SIGNING_KEY_PREVIOUS_FILE) {
    if (algorithm === 'HS256') throw configError('JWT_SIGNING_KEY_PREVIOUS_FILE', 'only used with JWT_ALGORITHM=ES256 or EdDSA');
    const pem = readKeyFile('JWT_SIGNING_KEY_PREVIOUS_FILE', v.JWT_SIGNING_KEY_PREVIOUS_FILE, readFile);
    // createPublicKey takes a private or a public PEM; only the public half is kept.
    signingKeyPrevious = parseKey('JWT_SIGNING_KEY_PREVIOUS_FILE', () => createPublicKey(pem));
    assertKeyType('JWT_SIGNING_KEY_PREVIOUS_FILE', signingKeyPrevious, algorithm);
  }
  return {
    algorithm,
    accessSecretPrevious: v.JWT_ACCESS_SECRET_PREVIOUS ?? null,
    refreshSecretPrevious: v.JWT_REFRESH_SECRET_PREVIOUS ?? null,
    signingKey,
    signingKeyPrevious,
  };
}

function readKeyFile(variable: string, path: string, readFile: (path: string) => string): string {
  try {
    return readFile(path);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    throw configError(variable, `cannot read ${path}${typeof code === 'string' ? ` (${code})` : ''}`);
  }
}

function parseKey(variable: string, parse: () => KeyObject): KeyObject {
  try {
    return parse();
  } catch {
    throw configError(variable, 'not a PEM key');
  }
}

function assertKeyType(variable: string, key: KeyObject, algorithm: 'ES256' | 'EdDSA'): void {
  const type = key.asymmetricKeyType;
  const curve = key.asymmetricKeyDetails?.namedCurve;
  const fits = algorithm === 'ES256' ? type === 'ec' && curve === 'prime256v1' : type === 'ed25519';
  if (!fits) {
    const wanted = algorithm === 'ES256' ? 'an EC P-256 key' : 'an Ed25519 key';
    throw configError(
      variable,
      `JWT_ALGORITHM=${algorithm} needs ${wanted}, this is ${type === 'ec' ? `an EC ${curve ?? ''} key` : `a ${type ?? 'unknown'} key`}`,
    );
  }
}

function parseOidc(v: z.infer<typeof schema>): OidcConfig | null {
  if (!v.OIDC_ISSUER) {
    for (const name of ['OIDC_AUDIENCE', 'OIDC_JWKS_URL', 'OIDC_ROLE_CLAIM'] as const) {
      if (v[name]) throw configError(name, 'only used with OIDC_ISSUER');
    }
    return null;
  }
  if (!v.OIDC_AUDIENCE) throw configError('OIDC_AUDIENCE', 'required with OIDC_ISSUER (the audience your provider puts in access tokens for Parley)');
  if (v.OIDC_ISSUER === v.JWT_ISSUER) throw configError('OIDC_ISSUER', 'must differ from JWT_ISSUER');
  if (v.OIDC_ISSUER.length > 255) throw configError('OIDC_ISSUER', 'at most 255 characters');
  return {
    issuer: v.OIDC_ISSUER,
    audience: v.OIDC_AUDIENCE,
    jwksUrl: v.OIDC_JWKS_URL ?? null,
    roleClaim: v.OIDC_ROLE_CLAIM ?? null,
  };
}

/**
 * TWO_FACTOR_ENCRYPTION_KEY, or else JWT_REFRESH_SECRET, through HKDF-SHA256 with an info
 * string of its own, so the key that encrypts TOTP secrets is never a signing key (those use
 * the raw secrets) and is never in the database: a dump alone yields no working codes. The
 * same derivation either way, so before rotating JWT_REFRESH_SECRET an operator sets
 * TWO_FACTOR_ENCRYPTION_KEY to its current value and every enabled secret stays readable.
 */
function twoFactorKey(configured: string | undefined, refreshSecret: string): Buffer {
  return Buffer.from(hkdfSync('sha256', Buffer.from(configured ?? refreshSecret, 'utf8'), Buffer.alloc(0), 'parley two-factor secrets v1', 32));
}

/** `false`, a hop count, or comma-separated addresses / CIDRs; `true` trusts any client's claim. */
function parseTrustProxy(text: string, ctx: z.RefinementCtx): TrustProxy {
  const value = text.trim();
  if (value === 'false' || value === '0') return false;
  if (/^\d+$/.test(value)) return Number(value);
  if (value === 'true') {
    ctx.addIssue({
      code: z.ZodIssueCode.custom,
      message:
        "true is ambiguous (it lets any client choose its IP with X-Forwarded-For): set the number of proxy hops (e.g. 1) or the proxies' addresses",
    });
    return z.NEVER;
  }
  const entries = value
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean);
  for (const entry of entries) {
    const [address, bits, extra] = entry.split('/');
    const family = isIP(address);
    const max = family === 4 ? 32 : 128;
    const bitsOk = bits === undefined || (/^\d+$/.test(bits) && Number(bits) <= max);
    if (['loopback', 'linklocal', 'uniquelocal'].includes(entry)) continue;
    if (family === 0 || !bitsOk || extra !== undefined) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: `"${entry}" is not false, a hop count, an IP address or a CIDR` });
      return z.NEVER;
    }
  }
  return entries;
}

function webhookConfig(v: z.infer<typeof schema>): WebhookConfig | null {
  if (v.WEBHOOK_RETRY_DELAYS && v.NODE_ENV !== 'test') {
    throw new ConfigError('Invalid configuration:\n  WEBHOOK_RETRY_DELAYS: only for tests (NODE_ENV=test); the schedule is fixed');
  }
  if (!v.WEBHOOK_URL) return null;
  if (!v.WEBHOOK_SECRET) {
    throw new ConfigError('Invalid configuration:\n  WEBHOOK_SECRET: required with WEBHOOK_URL (at least 32 characters)');
  }
  return {
    url: v.WEBHOOK_URL,
    secret: v.WEBHOOK_SECRET,
    events: new Set(v.WEBHOOK_EVENTS ?? WEBHOOK_TYPES),
    offlineDelayMs: v.WEBHOOK_OFFLINE_DELAY,
    unreadDelayMs: v.WEBHOOK_UNREAD_DELAY,
    retryDelaysMs: v.WEBHOOK_RETRY_DELAYS ?? WEBHOOK_RETRY_DELAYS_MS,
  };
}

function hostnameSafe(): string {
  return (
    hostname()
      .replace(/[^\w.-]/g, '')
      .slice(0, 40) || 'node'
  );
}
