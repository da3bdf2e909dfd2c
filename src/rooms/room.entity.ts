import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { Visibility } from '../protocol';

/** A created room (an implicit room has no row). */
@Entity('rooms')
export class RoomEntity {
  @PrimaryColumn({ type: 'varchar', length: 64 })
  name!: string;

  @Column({ type: 'varchar', length: 100 })
  title!: string;

  @Column({ type: 'varchar', length: 16 })
  visibility!: Visibility;

  @Column({ name: 'owner_id', type: 'varchar', length: 26, nullable: true })
  ownerId!: string | null;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt!: Date;
}
