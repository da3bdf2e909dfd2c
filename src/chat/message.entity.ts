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

  /** Bots (`bot:<keyId>`) have no users row: their name is kept here. NULL for users. */
  @Column({ name: 'sender_name', type: 'varchar', length: 50, nullable: true })
  senderName!: string | null;

  @ManyToOne(() => UserEntity, { createForeignKeyConstraints: false })
  @JoinColumn({ name: 'sender_id' })
  sender?: UserEntity;

  @Column({ type: 'text' })
  body!: string;

  @Column({ name: 'client_msg_id', type: 'varchar', length: 64, nullable: true })
  clientMsgId!: string | null;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt!: Date;

  /** A tombstone: the body is emptied, the row stays. */
  @Column({ name: 'deleted_at', type: 'datetime', precision: 3, nullable: true })
  deletedAt!: Date | null;
}
