import { Injectable } from '@nestjs/common';
import { Value } from '@sinclair/typebox/value';
import { EntityManager } from 'typeorm';
import { newId } from '../common/ids';
import { AppConfig, WebhookConfig } from '../config/app-config';
import { Statement } from '../database/statement-writer';
import { WEBHOOK_DATA, type WebhookData, type WebhookEvent, type WebhookType } from '../protocol';
import { WebhookEventEntity } from './webhook-event.entity';
import { WebhookOutbox } from './webhook-outbox';

export interface EventOptions {
  /** When it happened (default now). */
  at?: Date;
  /** The first attempt not before this (default at once). */
  deliverAfter?: Date;
  /** A key a later change may cancel the event by while it waits (WebhookOutbox.cancel). */
  subject?: string;
}

type Wakeup = () => void;

/** Asked right before an attempt: false means the event no longer applies and is dropped unsent. */
export type StillDue<T extends WebhookType> = (event: Extract<WebhookEvent, { type: T }>) => Promise<boolean>;

/**
 * Webhook events into the outbox. Other modules call `emit` (in their own transaction when
 * they have one), or `event` + `insert` to add rows to a write of their own (the message group
 * commit). Everything is a no-op, and costs nothing, while webhooks are off or the type is not
 * in WEBHOOK_EVENTS.
 */
@Injectable()
export class WebhooksService {
  readonly config: WebhookConfig | null;
  private wakeup: Wakeup = () => undefined;
  private readonly checks = new Map<WebhookType, (event: WebhookEvent) => Promise<boolean>>();

  constructor(
    config: AppConfig,
    private readonly outbox: WebhookOutbox,
  ) {
    this.config = config.webhooks;
  }

  enabled(type: WebhookType): boolean {
    return this.config?.events.has(type) ?? false;
  }

  /**
   * Stores the event (inside `transaction` when given: it is then delivered only if that
   * commits). Resolves once it is stored, or at once when the type is off.
   */
  async emit<T extends WebhookType>(type: T, data: WebhookData<T>, transaction?: EntityManager, options: EventOptions = {}): Promise<void> {
    if (!this.enabled(type)) return;
    await this.store([this.event(type, data, options)], transaction);
  }

  /**
   * An outbox row. `data` keeps only the fields of the type's schema (src/protocol/webhooks.ts),
   * so a caller handing over a richer object (a user row with its hash) leaks nothing.
   */
  event<T extends WebhookType>(type: T, data: WebhookData<T>, options: EventOptions = {}): WebhookEventEntity {
    return this.row(type, Value.Clean(WEBHOOK_DATA[type], structuredClone(data)) as WebhookData<T>, options);
  }

  /**
   * The same for data built by the view functions (toMessage, toUserSummary), which copy the
   * contract's fields one by one already: the message hot path skips the clean-up (about 9 µs).
   */
  eventFromViews<T extends WebhookType>(type: T, data: WebhookData<T>, options: EventOptions = {}): WebhookEventEntity {
    return this.row(type, data, options);
  }

  private row<T extends WebhookType>(type: T, data: WebhookData<T>, options: EventOptions): WebhookEventEntity {
    const id = newId();
    const now = new Date();
    const envelope = { id, type, at: (options.at ?? now).toISOString(), data } as WebhookEvent;
    return {
      id,
      type,
      body: JSON.stringify(envelope),
      subject: options.subject ?? null,
      attempts: 0,
      deliverAfter: options.deliverAfter ?? now,
      claimedBy: null,
      claimedUntil: null,
      createdAt: now,
    };
  }

  /** Stores rows built with `event` (inside `transaction` when given). */
  async store(rows: WebhookEventEntity[], transaction?: EntityManager): Promise<void> {
    if (rows.length === 0) return;
    await this.outbox.store(rows, transaction);
    this.storedRows(rows);
  }

  /** Rows due now were committed by a write of someone else's (the message batch): attempt them at once. */
  wake(): void {
    this.wakeup();
  }

  private storedRows(rows: WebhookEventEntity[]): void {
    const now = Date.now();
    if (rows.some((row) => row.deliverAfter.getTime() <= now)) this.wakeup();
  }

  /** The INSERT for rows another write commits with its own (see MessagesService). */
  insert(rows: WebhookEventEntity[]): Statement {
    return this.outbox.insert(rows);
  }

  /** Whether an event of `subject` is stored (waiting, due or being retried). */
  isWaiting(subject: string): Promise<boolean> {
    return this.outbox.hasSubject(subject);
  }

  /** Deletes waiting events of `subject` (not due yet); how many there were. */
  cancel(subject: string): Promise<number> {
    return this.outbox.cancel(subject);
  }

  /**
   * Registers the re-check for events that wait (message.unread asks the read markers when it
   * is due), so the module that owns the data decides without the worker knowing it.
   */
  checkBeforeDelivery<T extends WebhookType>(type: T, check: StillDue<T>): void {
    // the map is keyed by type, so each check only ever sees events of its own type
    this.checks.set(type, check as unknown as (event: WebhookEvent) => Promise<boolean>);
  }

  /** Whether a claimed event still applies (true for types without a check). */
  async stillDue(type: string, body: string): Promise<boolean> {
    const check = this.checks.get(type as WebhookType);
    return check ? check(JSON.parse(body) as WebhookEvent) : true;
  }

  /** The delivery worker's doorbell. */
  onStored(wakeup: Wakeup): void {
    this.wakeup = wakeup;
  }
}
