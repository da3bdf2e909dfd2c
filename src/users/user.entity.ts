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

}
