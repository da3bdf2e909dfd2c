import { Column, Entity, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import type { MemberRole } from '../protocol';
import { UserEntity } from '../users/user.entity';

/** A member of a created room, of an implicit room they joined, or one of a DM's two users. */
@Entity('room_members')
export class MembershipEntity {
  @PrimaryColumn({ type: 'varchar', length: 64 })
  room!: string;

  @PrimaryColumn({ name: 'user_id', type: 'varchar', length: 26 })
  userId!: string;

  @ManyToOne(() => UserEntity, { createForeignKeyConstraints: false })
  @JoinColumn({ name: 'user_id' })
  user?: UserEntity;

  @Column({ type: 'varchar', length: 16 })
  role!: MemberRole;

  @Column({ name: 'joined_at', type: 'datetime', precision: 3 })
  joinedAt!: Date;

  /** The read marker: the latest message read; null is before the room's first message. */
  @Column({ name: 'last_read_message_id', type: 'varchar', length: 26, nullable: true })
  lastReadMessageId!: string | null;
}
