import { Column, Entity, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { UserEntity } from '../users/user.entity';

@Entity('messages')
export class MessageEntity {
  /** ULID: sorts in creation order, so it is also the paging cursor. */
  @PrimaryColumn({ type: 'varchar', length: 26 })
  id!: string;

  /** A public room name, or `dm:<a>:<b>` for a direct conversation. */
  @Column({ type: 'varchar', length: 64 })
  room!: string;

  @Column({ name: 'sender_id', type: 'varchar', length: 26 })
  senderId!: string;

  @ManyToOne(() => UserEntity, { createForeignKeyConstraints: false })
  @JoinColumn({ name: 'sender_id' })
  sender?: UserEntity;

  @Column({ type: 'text' })
  body!: string;

  @Column({ name: 'client_msg_id', type: 'varchar', length: 64, nullable: true })
  clientMsgId!: string | null;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt!: Date;

  @Column({ name: 'edited_at', type: 'datetime', precision: 3, nullable: true })
  editedAt!: Date | null;

  /** Set once deleted: the row stays as a tombstone (body "", no reactions). */
  @Column({ name: 'deleted_at', type: 'datetime', precision: 3, nullable: true })
  deletedAt!: Date | null;

  /** JSON `[{ emoji, userIds }]` in order of first use; null when there are none. */
  @Column({ type: 'text', nullable: true })
  reactions!: string | null;

  /** Time of the latest edit, deletion or reaction change (null: never changed); a resume's `updated` scans it. */
  @Column({ name: 'changed_at', type: 'datetime', precision: 3, nullable: true })
  changedAt!: Date | null;

  /** Incremented by every change: changes are compare-and-swap on it, across nodes. */
  @Column({ type: 'int', default: 0 })
  version!: number;
}
