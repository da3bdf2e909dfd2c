import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { Role } from '../protocol';

@Entity('users')
export class UserEntity {
  @PrimaryColumn({ type: 'varchar', length: 26 })
  id!: string;

  /** Stored NFC + lower case (normalizeEmail), compared exactly; unique. Null for an external user without a verified email. */
  @Column({ type: 'varchar', length: 254, nullable: true })
  email!: string | null;

  /** bcrypt hash. Never selected unless asked for explicitly. */
  @Column({ name: 'password_hash', type: 'varchar', length: 72, select: false })
  passwordHash!: string;

  @Column({ name: 'display_name', type: 'varchar', length: 100 })
  displayName!: string;

  /**
   * `displayNameKey(displayName)`, indexed: what `GET /users?q=` searches by prefix. Set on
   * every insert by DisplayNameKeySubscriber, so code creating users need not fill it.
   */
  @Column({ name: 'display_name_key', type: 'varchar', length: 100 })
  displayNameKey?: string;

  @Column({ type: 'varchar', length: 16 })
  role!: Role;

  @Column({ name: 'email_verified_at', type: 'datetime', precision: 3, nullable: true })
  emailVerifiedAt!: Date | null;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt!: Date;

  @Column({ name: 'updated_at', type: 'datetime', precision: 3 })
  updatedAt!: Date;

  /** Incremented by every password change or reset and every two-factor change (sessions carry it). */
  @Column({ name: 'credentials_version', type: 'int', default: 0 })
  credentialsVersion!: number;

  /** The TOTP secret, sealed (src/two-factor/secret-box.ts). Never selected unless asked for. */
  @Column({ name: 'two_factor_secret', type: 'varchar', length: 255, nullable: true, select: false })
  twoFactorSecret!: string | null;

  /** A secret set up but not yet confirmed by a code, sealed. */
  @Column({ name: 'two_factor_pending', type: 'varchar', length: 255, nullable: true, select: false })
  twoFactorPending!: string | null;

  @Column({ name: 'two_factor_enabled_at', type: 'datetime', precision: 3, nullable: true })
  twoFactorEnabledAt!: Date | null;

  /** The last TOTP time step accepted: a code of this step or an earlier one is refused. */
  @Column({ name: 'two_factor_last_step', type: 'int', nullable: true, select: false })
  twoFactorLastStep!: number | null;
}
