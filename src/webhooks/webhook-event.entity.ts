import { Column, Entity, PrimaryColumn } from 'typeorm';

/** An outbox row: a webhook event not delivered yet (migration 1733500000000). */
@Entity('webhook_events')
export class WebhookEventEntity {
  /** ULID: also the event's `id`, which receivers de-duplicate by. */
  @PrimaryColumn({ type: 'varchar', length: 26 })
  id!: string;

  @Column({ type: 'varchar', length: 32 })
  type!: string;

  /** The JSON body, exactly as POSTed (the signature covers these bytes). */
  @Column({ type: 'text' })
  body!: string;

  @Column({ type: 'varchar', length: 100, nullable: true })
  subject!: string | null;

  @Column({ type: 'int', default: 0 })
  attempts!: number;

  @Column({ name: 'deliver_after', type: 'datetime', precision: 3 })
  deliverAfter!: Date;

  @Column({ name: 'claimed_by', type: 'varchar', length: 100, nullable: true })
  claimedBy!: string | null;

  @Column({ name: 'claimed_until', type: 'datetime', precision: 3, nullable: true })
  claimedUntil!: Date | null;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt!: Date;
}
