import { hkdfSync, randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import { availableParallelism, hostname } from 'node:os';
import { z } from 'zod';
import { parseDurationMs, parseRateLimit, RateLimit } from './duration';

export type DatabaseConfig =
  | { kind: 'sqlite'; path: string }
  | { kind: 'mysql'; url: string };

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
  /** Things worth shouting about at boot (e.g. generated development secrets). */
  abstract readonly warnings: readonly string[];
  // ---- security review and two-factor (issue #21) ----
  /** Login, register, forgot and 2FA attempts per client IP (IPv6 by /64), over every email. */
  abstract readonly authIpRateLimit: RateLimit;
  abstract readonly twoFactor: {
    /** 32 bytes for AES-256-GCM of the TOTP secrets; from config, never stored in the database. */
    readonly encryptionKey: Buffer;
  };
}

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
  z
    .string()
    .regex(/^\d+$/, 'expected a whole number')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));

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
  z.string().refine((text) => {
    try {
      return protocols.includes(new URL(text).protocol);
    } catch {
      return false;
    }
  }, `expected a ${protocols.join(' or ')} URL`);

const schema = z.object({
  NODE_ENV: z.enum(['production', 'development', 'test']).default('development'),
  PORT: intInRange(0, 65535).default('3000'),
  DATABASE_URL: databaseUrl.default('sqlite:./data/app.sqlite'),
  REDIS_URL: url(['redis:', 'rediss:']).optional(),
  REDIS_KEY_PREFIX: z.string().regex(/^[\w:.-]{1,64}$/, 'expected 1-64 of letters, digits, : . _ -').default('parley:'),
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
  NODE_ID: z.string().regex(/^[\w.-]{1,64}$/, 'expected 1-64 of letters, digits, . _ -').optional(),
  // ---- security review and two-factor (issue #21) ----
  AUTH_IP_RATE_LIMIT: rateLimit.default('100/60s'),
  TWO_FACTOR_ENCRYPTION_KEY: secret.optional(),
});

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

function parseOrigins(text: string | undefined): string[] | null {
  if (text === undefined || text.trim() === '') return null;
  const origins = text.split(',').map((o) => o.trim()).filter(Boolean);
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
export function loadAppConfig(rawEnv: Env): AppConfig {
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
  if (v.NODE_ENV === 'production' && (!accessSecret || !refreshSecret)) {
    throw new ConfigError(
      'Invalid configuration:\n  JWT_ACCESS_SECRET, JWT_REFRESH_SECRET: both are required when NODE_ENV=production (at least 32 characters each, different from each other)',
    );
  }
  if (!accessSecret) {
    accessSecret = randomBytes(48).toString('base64url');
    warnings.push('JWT_ACCESS_SECRET is not set: using a random secret for this process only. Every token dies on restart. Set it in .env.');
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
    warnings,
    // ---- security review and two-factor (issue #21) ----
    authIpRateLimit: v.AUTH_IP_RATE_LIMIT,
    twoFactor: { encryptionKey: twoFactorKey(v.TWO_FACTOR_ENCRYPTION_KEY, refreshSecret) },
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
      message: 'true is ambiguous (it lets any client choose its IP with X-Forwarded-For): set the number of proxy hops (e.g. 1) or the proxies\' addresses',
    });
    return z.NEVER;
  }
  const entries = value.split(',').map((e) => e.trim()).filter(Boolean);
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

function hostnameSafe(): string {
  return hostname().replace(/[^\w.-]/g, '').slice(0, 40) || 'node';
}
