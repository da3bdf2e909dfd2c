import type { User, UserSummary } from '../protocol';
import { UserEntity } from './user.entity';

/** The contract's `User`, field by field so nothing secret leaks. */
export function toUser(user: UserEntity): User {
  return {
    id: user.id,
    email: user.email,
    displayName: user.displayName,
    role: user.role,
    emailVerified: user.emailVerifiedAt !== null,
    twoFactorEnabled: user.twoFactorEnabledAt !== null,
    createdAt: user.createdAt.toISOString(),
  };
}

export const toUserSummary = (user: { id: string; displayName: string }): UserSummary => ({ id: user.id, displayName: user.displayName });
