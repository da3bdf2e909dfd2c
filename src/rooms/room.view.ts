import type { Ban, Member, Room, UserSummary } from '../protocol';
import { BanEntity } from './ban.entity';
import { MembershipEntity } from './membership.entity';
import { RoomEntity } from './room.entity';

/** The contract's `Room` for a created room, or for an implicit one (public, no owner, titled by its name). */
export function toRoom(name: string, room: RoomEntity | null, memberCount: number, implicitCreatedAt: Date): Room {
  return {
    name,
    title: room?.title ?? name,
    visibility: room?.visibility ?? 'public',
    ownerId: room?.ownerId ?? null,
    createdAt: (room?.createdAt ?? implicitCreatedAt).toISOString(),
    memberCount,
  };
}

export function toMember(member: MembershipEntity, user: UserSummary): Member {
  return { user, role: member.role, joinedAt: member.joinedAt.toISOString(), lastReadMessageId: member.lastReadMessageId };
}

export function toBan(ban: BanEntity, user: UserSummary): Ban {
  return { user, until: ban.until?.toISOString() ?? null, reason: ban.reason, createdAt: ban.createdAt.toISOString() };
}
