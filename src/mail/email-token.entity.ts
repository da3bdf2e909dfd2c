import { Column, Entity, PrimaryColumn } from 'typeorm';

export type EmailTokenKind = 'verify' | 'reset';

/** A single-use token sent by mail; only its sha256 is stored. */
@Entity('email_tokens')
export class EmailTokenEntity {
  @PrimaryColumn({ type: 'varchar', length: 26 })
  id!: string;

  @Column({ name: 'user_id', type: 'varchar', length: 26 })
  userId!: string;

  @Column({ type: 'varchar', length: 16 })
  kind!: EmailTokenKind;

  @Column({ name: 'token_hash', type: 'varchar', length: 64 })
  tokenHash!: string;

  @Column({ name: 'expires_at', type: 'datetime', precision: 3 })
  expiresAt!: Date;

  @Column({ name: 'used_at', type: 'datetime', precision: 3, nullable: true })
  usedAt!: Date | null;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt!: Date;
}
