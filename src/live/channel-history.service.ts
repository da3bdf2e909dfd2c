import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, In, LessThan, MoreThanOrEqual } from 'typeorm';
import { AppError, describeCause } from '../common/errors';
import { AppConfig } from '../config/app-config';
import { isDeadlock, isUniqueViolation } from '../database/errors';
import { LIMITS, PUBLICATION_IDEMPOTENCY_MS, type Publication } from '../protocol';
import { LiveChannelEntity, LiveIdempotencyEntity, LivePublicationEntity } from './live.entities';

export interface NewPublication {
  channel: string;
  data: unknown;
  idempotencyKey?: string;
}

export interface Stored {
  publication: Publication;
  /** false: a repeated idempotencyKey; `publication` is the first one's offset, nothing was published */
  created: boolean;
}

interface Pending {
  item: NewPublication;
  json: string;
  resolve: (stored: Stored) => void;
  reject: (error: unknown) => void;
}

const MAX_BATCH = 256;
const ATTEMPTS = 5;
const SWEEP_MS = 30_000;

/**
 * Channel history in the database (SQLite or MySQL/MariaDB): shared by every node, kept
 * across restarts, with or without Redis. Publications are group-committed: everything queued
 * while a commit runs goes into the next one, one transaction that takes each channel's next
 * offsets (`live_channels.last_offset`, row-locked, so two nodes never hand out the same one,
 * and a rolled-back batch gives its offsets back: they stay gapless), stores the rows and
 * trims the history to CHANNEL_HISTORY_SIZE. A sweep drops what outlived CHANNEL_HISTORY_TTL
 * and idempotency keys older than five minutes.
 */
@Injectable()
export class ChannelHistoryService implements OnModuleDestroy {
  private readonly logger = new Logger(ChannelHistoryService.name);
  private queue: Pending[] = [];
  private running: Promise<void> | null = null;
  private scheduled = false;
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly config: AppConfig,
  ) {
    this.sweeper = setInterval(() => void this.sweep(), SWEEP_MS).unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.sweeper);
  }

  /** Resolves once stored (the caller then emits it); a repeated idempotencyKey resolves to the first offset. */
  append(item: NewPublication): Promise<Stored> {
    const json = JSON.stringify(item.data);
    return new Promise((resolve, reject) => {
      this.queue.push({ item, json, resolve, reject });
      if (!this.scheduled && !this.running) {
        this.scheduled = true;
        setImmediate(() => {
          this.scheduled = false;
          if (!this.running) this.startBatch();
        });
      }
    });
  }

  /** Everything queued so far, stored (shutdown). */
  async drain(): Promise<void> {
    while (this.running || this.queue.length > 0) {
      if (!this.running) this.startBatch();
      await this.running;
    }
  }

  /** The channel's latest offset (0 when it has none) and what a subscriber gets (API.md). */
  async recover(channel: string, since: number | undefined): Promise<{ offset: number; publications: Publication[]; recovered: boolean }> {
    const head = await this.dataSource.getRepository(LiveChannelEntity).findOneBy({ name: channel });
    const offset = head?.lastOffset ?? 0;
    const fresh = MoreThanOrEqual(new Date(Date.now() - this.config.channelHistoryTtlMs));
    const publications = this.dataSource.getRepository(LivePublicationEntity);
    if (since === undefined) {
      const latest = offset > 0 ? await publications.findOneBy({ channel, seq: offset, createdAt: fresh }) : null;
      return { offset, publications: latest ? [toPublication(latest)] : [], recovered: true };
    }
    // A `since` beyond the latest offset was never handed out here: nothing to send, and the client's state is not ours.
    if (since >= offset) return { offset, publications: [], recovered: since === offset };
    const missed = offset - since;
    const rows = await publications
      .createQueryBuilder('p')
      .where('p.channel = :channel', { channel })
      .andWhere('p.seq > :since', { since })
      .andWhere('p.createdAt >= :cutoff', { cutoff: new Date(Date.now() - this.config.channelHistoryTtlMs) })
      .orderBy('p.seq', 'DESC')
      .limit(LIMITS.channelRecovery)
      .getMany();
    rows.reverse();
    return { offset, publications: rows.map(toPublication), recovered: missed <= LIMITS.channelRecovery && rows.length === missed };
  }

  private startBatch(): void {
    const batch = this.queue.splice(0, MAX_BATCH);
    if (batch.length === 0) return;
    this.running = this.commit(batch).finally(() => {
      this.running = null;
      if (this.queue.length > 0) this.startBatch();
    });
  }

  private async commit(batch: Pending[]): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        const results = await this.store(batch);
        batch.forEach((pending, i) => pending.resolve(results[i]));
        return;
      } catch (error) {
        // Another node stored the same idempotency key meanwhile, or the two transactions
        // deadlocked on the channel row: run the batch again (it looks the keys up afresh).
        if ((isUniqueViolation(error) || isDeadlock(error)) && attempt < ATTEMPTS) continue;
        this.logger.error(`Could not store ${batch.length} publication(s): ${describeCause(error)}`);
        const failure = new AppError('UNAVAILABLE', 'The publication could not be stored; try again (same idempotencyKey)');
        for (const pending of batch) pending.reject(failure);
        return;
      }
    }
  }

  private async store(batch: Pending[]): Promise<Stored[]> {
    const now = new Date();
    // Read outside the transaction: on SQLite a transaction that reads before it writes can
    // fail against the message writer's connection. A key stored meanwhile by another node
    // fails the insert below, and the retry finds it here.
    const earlier = await this.findKeys(batch, now);
    return this.dataSource.transaction(async (manager) => {
      const results: Array<Stored | null> = batch.map(() => null);
      const firstWithKey = new Map<string, number>();
      const fresh = new Map<string, number[]>();
      batch.forEach((pending, i) => {
        const { channel, idempotencyKey } = pending.item;
        if (idempotencyKey !== undefined) {
          const key = `${channel}\u0000${idempotencyKey}`;
          if (earlier.has(key) || firstWithKey.has(key)) return;
          firstWithKey.set(key, i);
        }
        fresh.set(channel, [...(fresh.get(channel) ?? []), i]);
      });
      const rows: LivePublicationEntity[] = [];
      const keys: LiveIdempotencyEntity[] = [];
      for (const [channel, indexes] of fresh) {
        const last = await this.takeOffsets(manager, channel, indexes.length);
        indexes.forEach((index, n) => {
          const seq = last - indexes.length + 1 + n;
          const { item, json } = batch[index];
          rows.push({ channel, seq, data: json, createdAt: now });
          if (item.idempotencyKey !== undefined) keys.push({ channel, idemKey: item.idempotencyKey, seq, createdAt: now });
          results[index] = { publication: { channel, offset: seq, data: item.data, at: now.toISOString() }, created: true };
        });
        if (last > this.config.channelHistorySize) {
          await manager.delete(LivePublicationEntity, { channel, seq: LessThan(last - this.config.channelHistorySize + 1) });
        }
      }
      if (rows.length > 0) await manager.insert(LivePublicationEntity, rows);
      if (keys.length > 0) {
        // an expired key of the same name may still be there until the sweep
        for (const key of keys) await manager.delete(LiveIdempotencyEntity, { channel: key.channel, idemKey: key.idemKey });
        await manager.insert(LiveIdempotencyEntity, keys);
      }
      // repeats: the first offset (an earlier one, or the first in this batch)
      return batch.map((pending, i) => {
        const stored = results[i];
        if (stored) return stored;
        const key = `${pending.item.channel}\u0000${pending.item.idempotencyKey}`;
        const first = earlier.get(key) ?? results[firstWithKey.get(key)!]!.publication;
        return { publication: first, created: false };
      });
    });
  }

  /**
   * Raises the channel's last offset by `count` in one upsert (the transaction's first write:
   * it takes the row lock until commit) and returns the new last offset.
   */
  private async takeOffsets(manager: EntityManager, channel: string, count: number): Promise<number> {
    await manager.query(
      this.dataSource.options.type === 'mysql'
        ? 'INSERT INTO `live_channels` (`name`, `last_offset`) VALUES (?, ?) ON DUPLICATE KEY UPDATE `last_offset` = `last_offset` + VALUES(`last_offset`)'
        : 'INSERT INTO "live_channels" ("name", "last_offset") VALUES (?, ?) ON CONFLICT ("name") DO UPDATE SET "last_offset" = "last_offset" + excluded."last_offset"',
      [channel, count],
    );
    const row = await manager.findOneByOrFail(LiveChannelEntity, { name: channel });
    return row.lastOffset;
  }

  /** Idempotency keys of the batch already used within five minutes, with the publication each gave. */
  private async findKeys(batch: Pending[], now: Date): Promise<Map<string, Publication>> {
    const byChannel = new Map<string, string[]>();
    for (const { item } of batch) {
      if (item.idempotencyKey !== undefined) byChannel.set(item.channel, [...(byChannel.get(item.channel) ?? []), item.idempotencyKey]);
    }
    const found = new Map<string, Publication>();
    if (byChannel.size === 0) return found;
    const since = MoreThanOrEqual(new Date(now.getTime() - PUBLICATION_IDEMPOTENCY_MS));
    const rows = await this.dataSource
      .getRepository(LiveIdempotencyEntity)
      .find({ where: [...byChannel].map(([channel, keys]) => ({ channel, idemKey: In(keys), createdAt: since })) });
    for (const row of rows) {
      found.set(`${row.channel}\u0000${row.idemKey}`, { channel: row.channel, offset: row.seq, data: null, at: row.createdAt.toISOString() });
    }
    return found;
  }

  private async sweep(): Promise<void> {
    try {
      const now = Date.now();
      await this.dataSource.getRepository(LivePublicationEntity).delete({ createdAt: LessThan(new Date(now - this.config.channelHistoryTtlMs)) });
      await this.dataSource.getRepository(LiveIdempotencyEntity).delete({ createdAt: LessThan(new Date(now - PUBLICATION_IDEMPOTENCY_MS)) });
    } catch (error) {
      this.logger.warn(`history sweep failed: ${describeCause(error)}`);
    }
  }
}

function toPublication(row: LivePublicationEntity): Publication {
  return { channel: row.channel, offset: row.seq, data: JSON.parse(row.data) as unknown, at: row.createdAt.toISOString() };
}
