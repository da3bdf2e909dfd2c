import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntitySubscriberInterface, InsertEvent } from 'typeorm';
import { displayNameKey } from '../protocol';
import { UserEntity } from './user.entity';

/**
 * Every way of creating a user (password sign-up, an external identity, a script) keeps the
 * search key in step with the display name, whoever writes the insert.
 */
@Injectable()
export class DisplayNameKeySubscriber implements EntitySubscriberInterface<UserEntity> {
  constructor(@InjectDataSource() dataSource: DataSource) {
    dataSource.subscribers.push(this);
  }

  listenTo() {
    return UserEntity;
  }

  beforeInsert(event: InsertEvent<UserEntity>): void {
    const user = event.entity as Partial<UserEntity> | undefined;
    if (user?.displayName !== undefined) user.displayNameKey = displayNameKey(user.displayName);
  }
}
