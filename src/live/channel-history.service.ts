import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, In, LessThan, MoreThanOrEqual } from 'typeorm';
import { AppError, describeCause } from '../common/errors';
import { AppConfig } from '../config/app-config';
import { isDeadlock, isUniqueViolation } from '../database/errors';
import { Statement, StatementWriter } from '../database/statement-writer';
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
/** A commit that has not started by then is refused (the senders hear 503 and retry). */
const WRITE_DEADLINE_MS = 5000;

/**
 * Channel history in the database (SQLite or MySQL/MariaDB): shared by every node, kept
 * across restarts, with or without Redis. Publications are group-committed: everything queued
 * while a commit runs goes into the next one, one transaction (see commitFresh) that takes
 * each channel's next offsets from `live_channels.last_offset` (row-locked, so two nodes never
 * hand out the same one, and a rolled-back batch gives its offsets back: they stay gapless),
 * stores the rows and trims the history to CHANNEL_HISTORY_SIZE. A sweep drops what outlived
 * CHANNEL_HISTORY_TTL and idempotency keys older than five minutes.
 */
@Injectable()
export class ChannelHistoryService implements OnModuleDestroy {
  private readonly logger = new Logger(ChannelHistoryService.name);
  private queue: Pending[] = [];
  private running: Promise<void> | null = null;
  private scheduled = false;
  private readonly sweeper: NodeJS.Timeout;

  private sql: {
    upsert: string;
    insertRows: (count: number) => string;
    deleteKeys: (count: number) => string;
    insertKeys: (count: number) => string;
    trim: string;
    lastOffsets: (count: number) => string;
  } | null = null;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly writer: StatementWriter,
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
    // Looked up before the transaction (a plain read). A key stored meanwhile by another node
    // fails the insert below, and the retry finds it here.
    const earlier = await this.findKeys(batch, now);
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
    const last = fresh.size > 0 ? await this.commitFresh(batch, fresh, now) : new Map<string, number>();
    const results: Array<Stored | null> = batch.map(() => null);
    for (const [channel, indexes] of fresh) {
      const top = last.get(channel) as number;
      indexes.forEach((index, n) => {
        const offset = top - (indexes.length - 1 - n);
        results[index] = { publication: { channel, offset, data: batch[index].item.data, at: now.toISOString() }, created: true };
      });
    }
    // repeats: the first offset (an earlier one, or the first in this batch)
    return batch.map((pending, i) => {
      const stored = results[i];
      if (stored) return stored;
      const key = `${pending.item.channel}\u0000${pending.item.idempotencyKey}`;
      return { publication: earlier.get(key) ?? results[firstWithKey.get(key) as number]!.publication, created: false };
    });
  }

  /**
   * One transaction for the batch, through the statement writer (on a SQLite file, its own
   * thread: the commit and its fsync never stop the event loop). Per channel: raise
   * `last_offset` by the batch's count (the first write, which takes the row lock), insert the
   * rows with offsets the database computes from it, record their idempotency keys, trim the
   * history; then read each channel's new last offset.
   */
  private async commitFresh(batch: Pending[], fresh: Map<string, number[]>, now: Date): Promise<Map<string, number>> {
    const sql = this.statements();
    const at = this.createdAt(now);
    const steps: Statement[] = [];
    for (const [channel, indexes] of fresh) {
      const back = (n: number) => indexes.length - 1 - n;
      steps.push({ sql: sql.upsert, params: [channel, indexes.length] });
      steps.push({ sql: sql.insertRows(indexes.length), params: [...indexes.flatMap((index, n) => [back(n), batch[index].json, at]), channel] });
      const keyed = indexes
        .map((index, n) => ({ key: batch[index].item.idempotencyKey, back: back(n) }))
        .filter((k): k is { key: string; back: number } => k.key !== undefined);
      if (keyed.length > 0) {
        // an expired key of the same name may still be there until the sweep
        steps.push({ sql: sql.deleteKeys(keyed.length), params: [channel, ...keyed.map((k) => k.key)] });
        steps.push({ sql: sql.insertKeys(keyed.length), params: [...keyed.flatMap((k) => [k.back, k.key, at]), channel] });
      }
      steps.push({ sql: sql.trim, params: [channel, channel, this.config.channelHistorySize] });
    }
    const read = { sql: sql.lastOffsets(fresh.size), params: [...fresh.keys()] };
    const rows = await this.writer.runAllThenRead(steps, read, Date.now() + WRITE_DEADLINE_MS);
    return new Map(rows.map((row) => [String(row.name), Number(row.last_offset)]));
  }

  /** The statements of a commit, for this database's dialect (built once). */
  private statements() {
    if (this.sql) return this.sql;
    const e = (name: string) => this.dataSource.driver.escape(name);
    const [C, P, K] = [e('live_channels'), e('live_publications'), e('live_idempotency')];
    const derived = (count: number, columns: string[]) =>
      Array.from({ length: count }, (_, i) =>
        i === 0 ? `SELECT ${columns.map((c) => `? AS ${c}`).join(', ')}` : `SELECT ${columns.map(() => '?').join(', ')}`,
      ).join(' UNION ALL ');
    const upsert =
      this.dataSource.options.type === 'mysql'
        ? `INSERT INTO ${C} (${e('name')}, ${e('last_offset')}) VALUES (?, ?) ON DUPLICATE KEY UPDATE ${e('last_offset')} = ${e('last_offset')} + VALUES(${e('last_offset')})`
        : `INSERT INTO ${C} (${e('name')}, ${e('last_offset')}) VALUES (?, ?) ON CONFLICT (${e('name')}) DO UPDATE SET ${e('last_offset')} = ${e('last_offset')} + excluded.${e('last_offset')}`;
    this.sql = {
      upsert,
      insertRows: (count: number) =>
        `INSERT INTO ${P} (${e('channel')}, ${e('seq')}, ${e('data')}, ${e('created_at')}) SELECT c.${e('name')}, c.${e('last_offset')} - d.back, d.body, d.at ` +
        `FROM ${C} c CROSS JOIN (${derived(count, ['back', 'body', 'at'])}) d WHERE c.${e('name')} = ?`,
      deleteKeys: (count: number) => `DELETE FROM ${K} WHERE ${e('channel')} = ? AND ${e('idem_key')} IN (${Array(count).fill('?').join(', ')})`,
      insertKeys: (count: number) =>
        `INSERT INTO ${K} (${e('channel')}, ${e('idem_key')}, ${e('seq')}, ${e('created_at')}) SELECT c.${e('name')}, d.k, c.${e('last_offset')} - d.back, d.at ` +
        `FROM ${C} c CROSS JOIN (${derived(count, ['back', 'k', 'at'])}) d WHERE c.${e('name')} = ?`,
      trim: `DELETE FROM ${P} WHERE ${e('channel')} = ? AND ${e('seq')} <= (SELECT ${e('last_offset')} FROM ${C} WHERE ${e('name')} = ?) - ?`,
      lastOffsets: (count: number) =>
        `SELECT ${e('name')} AS name, ${e('last_offset')} AS last_offset FROM ${C} WHERE ${e('name')} IN (${Array(count).fill('?').join(', ')})`,
    };
    return this.sql;
  }

  /** `created_at` as this driver stores it (a UTC string on SQLite, a Date for mysql2). */
  private createdAt(now: Date): unknown {
    const column = this.dataSource.getMetadata(LivePublicationEntity).findColumnWithPropertyName('createdAt');
    return column ? this.dataSource.driver.preparePersistentValue(now, column) : now;
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
