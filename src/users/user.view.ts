import { ApiProperty } from '@nestjs/swagger';
import { ROLES, Role, UserEntity } from './user.entity';

/** The public shape of a user (contract `User`). Built field by field so nothing secret leaks. */
export class UserView {
  @ApiProperty() id!: string;
  @ApiProperty() email!: string;
  @ApiProperty() displayName!: string;
  @ApiProperty({ enum: ROLES }) role!: Role;
  @ApiProperty() emailVerified!: boolean;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;

  static of(user: UserEntity): UserView {
    return {
      id: user.id,
      email: user.email,
      displayName: user.displayName,
      role: user.role,
      emailVerified: user.emailVerifiedAt !== null,
      createdAt: user.createdAt.toISOString(),
    };
  }
}

export class UserSummary {
  @ApiProperty() id!: string;
  @ApiProperty() displayName!: string;
}
