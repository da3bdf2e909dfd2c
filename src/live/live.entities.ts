import { Column, Entity, PrimaryColumn } from 'typeorm';

/** bigint columns come back as strings on MySQL; offsets stay far below 2^53. */
const bigintNumber = { to: (value: number) => value, from: (value: string | number) => Number(value) };

/** Each channel's latest offset: offsets strictly increase and are never reused. */
@Entity('live_channels')
export class LiveChannelEntity {
  @PrimaryColumn({ type: 'varchar', length: 136 })
  name!: string;

  @Column({ name: 'last_offset', type: 'bigint', transformer: bigintNumber })
  lastOffset!: number;
}

/** A channel's history: the last CHANNEL_HISTORY_SIZE publications, for CHANNEL_HISTORY_TTL. */
@Entity('live_publications')
export class LivePublicationEntity {
  @PrimaryColumn({ type: 'varchar', length: 136 })
  channel!: string;

  @PrimaryColumn({ type: 'bigint', transformer: bigintNumber })
  seq!: number;

  /** the publication's data as JSON text */
  @Column({ type: 'text' })
  data!: string;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt!: Date;
}

/** `idempotencyKey`s of the last five minutes and the offset each one got. */
@Entity('live_idempotency')
export class LiveIdempotencyEntity {
  @PrimaryColumn({ type: 'varchar', length: 136 })
  channel!: string;

  @PrimaryColumn({ name: 'idem_key', type: 'varchar', length: 128 })
  idemKey!: string;

  @Column({ type: 'bigint', transformer: bigintNumber })
  seq!: number;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt!: Date;
}
