import { Column, Entity, PrimaryColumn } from 'typeorm';

/** The pending second step of a login: the mfaToken's sha256 is the key. */
@Entity('mfa_challenges')
export class MfaChallengeEntity {
  @PrimaryColumn({ type: 'varchar', length: 64 })
  id!: string;

  @Column({ name: 'user_id', type: 'varchar', length: 26 })
  userId!: string;

  /** The user's credentials version at the first step: a password reset in between voids it. */
  @Column({ name: 'credentials_version', type: 'int' })
  credentialsVersion!: number;

  @Column({ type: 'int', default: 0 })
  failures!: number;

  @Column({ name: 'expires_at', type: 'datetime', precision: 3 })
  expiresAt!: Date;

  @Column({ name: 'used_at', type: 'datetime', precision: 3, nullable: true })
  usedAt!: Date | null;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt!: Date;
}
