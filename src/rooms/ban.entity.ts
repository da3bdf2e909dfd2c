import { Column, Entity, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { UserEntity } from '../users/user.entity';

@Entity('room_bans')
export class BanEntity {
  @PrimaryColumn({ type: 'varchar', length: 64 })
  room!: string;

  @PrimaryColumn({ name: 'user_id', type: 'varchar', length: 26 })
  userId!: string;

  @ManyToOne(() => UserEntity, { createForeignKeyConstraints: false })
  @JoinColumn({ name: 'user_id' })
  user?: UserEntity;

  /** null: until the ban is lifted */
  @Column({ type: 'datetime', precision: 3, nullable: true })
  until!: Date | null;

  @Column({ type: 'varchar', length: 500, nullable: true })
  reason!: string | null;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt!: Date;
}

export const isActiveBan = (ban: Pick<BanEntity, 'until'> | null | undefined, now = Date.now()): boolean =>
  !!ban && (ban.until === null || ban.until.getTime() > now);
