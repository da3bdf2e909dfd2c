import { Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { IsNull, Repository } from 'typeorm';
import { AppError } from '../common/errors';
import { API_KEY, API_KEY_NAME_MAX, API_KEY_SCOPES, ApiKeyScope } from '../protocol';
import { ClusterBus } from '../redis/cluster-bus';
import { ApiKeyEntity } from './api-key.entity';

/** Who calls /api/v1: a key, its bot's name and what it may do. */
export interface ApiKeyPrincipal {
  id: string;
  name: string;
  scopes: readonly ApiKeyScope[];
}

export interface ApiKeyInfo extends ApiKeyPrincipal {
  createdAt: Date;
  revokedAt: Date | null;
}

interface CachedKey extends ApiKeyPrincipal {
  hash: Buffer;
}

const TOPIC = 'api-keys';
/**
 * Keys are reloaded this often, whatever the bus says: a revocation whose notice was lost (the
 * CLI ran without Redis, or during an outage) still reaches every node within a second.
 */
export const API_KEY_RELOAD_MS = 500;
const ID_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';
const ID_LENGTH = 12;

const sha256 = (text: string) => createHash('sha256').update(text).digest();

export function parseScopes(text: string): ApiKeyScope[] {
  const scopes = [
    ...new Set(
      text
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    ),
  ];
  const unknown = scopes.filter((s) => !(API_KEY_SCOPES as readonly string[]).includes(s));
  if (scopes.length === 0 || unknown.length > 0) {
    throw new AppError('VALIDATION_FAILED', `Scopes must be a comma-separated list of: ${API_KEY_SCOPES.join(', ')}`);
  }
  return scopes as ApiKeyScope[];
}

/**
 * API keys: created, listed and revoked by the CLI; checked on every /api/v1 request from
 * memory (sha256 of a 256-bit secret, compared in constant time: no bcrypt needed for a
 * random secret). The cache is reloaded from the database every 500 ms and at once when the
 * cluster bus says a key changed, so a revocation holds on every node within a second.
 */
@Injectable()
export class ApiKeysService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(ApiKeysService.name);
  private keys = new Map<string, CachedKey>();
  /** Revocation is final: a reload that read the row before it was revoked cannot bring it back. */
  private readonly revoked = new Set<string>();
  private unsubscribe: (() => void) | null = null;
  private timer: NodeJS.Timeout | null = null;
  private reloading: Promise<void> | null = null;
  private next: Promise<void> | null = null;
  /** Keys this process just created: a reload that read the table before the insert keeps them. */
  private readonly created = new Map<string, { key: CachedKey; at: number }>();

  constructor(
    @InjectRepository(ApiKeyEntity) private readonly repo: Repository<ApiKeyEntity>,
    private readonly bus: ClusterBus,
  ) {}

  async onModuleInit(): Promise<void> {
    this.unsubscribe = this.bus.subscribe(TOPIC, (message) => {
      if (typeof message.revoked === 'string') this.forget(message.revoked);
      void this.reload();
    });
    this.bus.onRecovered(() => void this.reload());
    await this.reload();
    this.timer = setInterval(() => void this.reload(), API_KEY_RELOAD_MS).unref();
  }

  onModuleDestroy(): void {
    this.unsubscribe?.();
    if (this.timer) clearInterval(this.timer);
  }

  /** `Authorization: Bearer pk_<id>_<secret>`; 401 (TOKEN_MISSING / TOKEN_INVALID) otherwise. */
  authenticate(raw: string | null): ApiKeyPrincipal {
    if (!raw) throw new AppError('TOKEN_MISSING', 'An API key is required: Authorization: Bearer pk_<id>_<secret>');
    const match = API_KEY.exec(raw);
    const key = match ? this.keys.get(match[1]) : undefined;
    if (!match || !key || !timingSafeEqual(key.hash, sha256(match[2]))) throw new AppError('TOKEN_INVALID', 'Invalid or revoked API key');
    return key;
  }

  /** Returns the key as printed once: `pk_<id>_<secret>`. */
  async create(name: string, scopes: readonly ApiKeyScope[] = API_KEY_SCOPES): Promise<{ key: string; info: ApiKeyInfo }> {
    const trimmed = name.trim();
    if (trimmed.length === 0 || [...trimmed].length > API_KEY_NAME_MAX) {
      throw new AppError('VALIDATION_FAILED', `The name must be 1-${API_KEY_NAME_MAX} characters`);
    }
    const id = randomId();
    const secret = randomBytes(32).toString('base64url');
    const row: ApiKeyEntity = {
      id,
      name: trimmed,
      secretHash: sha256(secret).toString('hex'),
      scopes: scopes.join(','),
      createdAt: new Date(),
      revokedAt: null,
    };
    await this.repo.insert(row);
    const cached = { id, name: row.name, scopes: [...scopes], hash: Buffer.from(row.secretHash, 'hex') };
    this.keys.set(id, cached);
    this.created.set(id, { key: cached, at: Date.now() });
    await this.bus.publish(TOPIC, { created: id });
    return { key: `pk_${id}_${secret}`, info: toInfo(row) };
  }

  async list(): Promise<ApiKeyInfo[]> {
    const rows = await this.repo.find({ order: { createdAt: 'ASC' } });
    return rows.map(toInfo);
  }

  /** 'revoked', 'already' (it was revoked before) or 'unknown'. */
  async revoke(id: string): Promise<'revoked' | 'already' | 'unknown'> {
    const result = await this.repo.update({ id, revokedAt: IsNull() }, { revokedAt: new Date() });
    if (result.affected !== 1) return (await this.repo.existsBy({ id })) ? 'already' : 'unknown';
    this.forget(id);
    await this.bus.publish(TOPIC, { revoked: id });
    return 'revoked';
  }

  private forget(id: string): void {
    this.revoked.add(id);
    this.keys.delete(id);
  }

  /** One reload at a time; requests while one runs share one more, started after it (it may have read too early). */
  private reload(): Promise<void> {
    if (this.reloading) {
      this.next ??= this.reloading.then(() => {
        this.next = null;
        return this.reload();
      });
      return this.next;
    }
    this.reloading = this.load().finally(() => (this.reloading = null));
    return this.reloading;
  }

  private async load(): Promise<void> {
    const started = Date.now();
    try {
      const rows = await this.repo.find({ where: { revokedAt: IsNull() } });
      const next = new Map<string, CachedKey>();
      for (const row of rows) {
        if (this.revoked.has(row.id)) continue;
        next.set(row.id, { id: row.id, name: row.name, scopes: parseScopes(row.scopes), hash: Buffer.from(row.secretHash, 'hex') });
      }
      for (const [id, { key, at }] of this.created) {
        if (at < started - 5000) this.created.delete(id);
        else if (!this.revoked.has(id)) next.set(id, key);
      }
      this.keys = next;
    } catch (error) {
      this.logger.warn(`could not reload API keys: ${(error as Error).message}`);
    }
  }
}

function toInfo(row: ApiKeyEntity): ApiKeyInfo {
  return { id: row.id, name: row.name, scopes: parseScopes(row.scopes), createdAt: row.createdAt, revokedAt: row.revokedAt };
}

function randomId(): string {
  // 36^12 ids; rejection sampling keeps every character equally likely
  let id = '';
  while (id.length < ID_LENGTH) {
    for (const byte of randomBytes(ID_LENGTH * 2)) {
      if (byte < 252 && id.length < ID_LENGTH) id += ID_ALPHABET[byte % 36];
    }
  }
  return id;
}
