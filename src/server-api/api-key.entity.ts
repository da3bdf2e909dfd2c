import { Column, Entity, PrimaryColumn } from 'typeorm';

/** A server API key. The secret is shown once at creation; only its sha256 is stored. */
@Entity('api_keys')
export class ApiKeyEntity {
  /** letters and digits (the `<id>` of `pk_<id>_<secret>`); the bot is `bot:<id>` */
  @PrimaryColumn({ type: 'varchar', length: 16 })
  id!: string;

  /** the bot's display name */
  @Column({ type: 'varchar', length: 50 })
  name!: string;

  @Column({ name: 'secret_hash', type: 'varchar', length: 64 })
  secretHash!: string;

  /** comma-separated ApiKeyScope values */
  @Column({ type: 'varchar', length: 64 })
  scopes!: string;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt!: Date;

  @Column({ name: 'revoked_at', type: 'datetime', precision: 3, nullable: true })
  revokedAt!: Date | null;
}
