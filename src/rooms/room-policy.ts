import { ANNOUNCEMENTS, MemberRole, Role, RoomRef, Visibility } from '../protocol';

/**
 * The one answer to "may user U do action A in room R", for every transport (room:join,
 * message:send, history over REST and WS, presence, typing, the lifecycle events, the REST
 * routes). Pure: the facts are loaded by RoomsService, the decision is made here, so the rules
 * read as one table and are unit-tested as one.
 */
export type RoomAction =
  /** GET /rooms/:room, presence:list */
  | 'view'
  /** history: GET /rooms/:room/messages, message:history */
  | 'read'
  | 'join'
  | 'send'
  | 'react'
  | 'markRead'
  | 'listMembers'
  | 'addMember'
  /** grant or take `moderator` */
  | 'setModerator'
  | 'removeMember'
  | 'ban'
  | 'unban'
  | 'listBans'
  | 'update'
  | 'delete'
  | 'editMessage'
  | 'deleteMessage';

export interface RoomFacts {
  ref: RoomRef;
  /** The created room, or null for an implicit room or a DM. */
  room: { visibility: Visibility; ownerId: string | null } | null;
  /** The caller's membership. */
  role: MemberRole | null;
  /** The caller has a ban in force. */
  banned: boolean;
}

export interface Caller {
  id: string;
  role: Role;
}

/** Who an action is aimed at (removeMember, ban) or whose message it touches (edit/deleteMessage). */
export interface Target {
  userId: string;
  /** the target's membership role, for member actions */
  role?: MemberRole | null;
}

const MANAGERS: ReadonlySet<MemberRole | null> = new Set(['owner', 'moderator']);

/** null when allowed; otherwise why not (the FORBIDDEN message). */
export function refusal(caller: Caller, facts: RoomFacts, action: RoomAction, target?: Target): string | null {
  const { ref } = facts;
  if (ref.kind === 'dm') return dmRefusal(caller, ref.members, action, target);

  const isSelf = target?.userId === caller.id;
  // Editing is the sender's alone: nobody else rewrites what someone said.
  if (action === 'editMessage') {
    if (!isSelf) return 'Only the sender may edit a message';
    if (caller.role === 'admin') return null;
    return facts.banned ? 'You are banned from this room' : visibleRefusal(facts);
  }
  // a read marker belongs to a membership: admins too must be members to have one
  if (action === 'markRead' && facts.role === null) return 'Members only: join the room first';
  if (caller.role === 'admin')
    return ref.name === ANNOUNCEMENTS && (action === 'update' || action === 'delete') ? 'The announcements room cannot be changed' : null;
  if (action === 'deleteMessage' && isSelf) return null;
  if (facts.banned && action !== 'view' && action !== 'removeMember') return 'You are banned from this room';

  const visibility = facts.room?.visibility ?? 'public';
  const member = facts.role !== null;
  if (visibility === 'private' && !member) return 'This room is private';
  switch (action) {
    case 'view':
    case 'read':
    case 'join':
    case 'listMembers':
      return null;
    case 'send':
      if (ref.name === ANNOUNCEMENTS) return 'Only admins may post announcements';
      return member ? null : 'Join the room first';
    case 'react':
    case 'markRead':
      return member ? null : 'Members only: join the room first';
    case 'addMember':
    case 'unban':
    case 'listBans':
      return MANAGERS.has(facts.role) ? null : 'Only the owner and moderators may do this';
    case 'deleteMessage':
      return MANAGERS.has(facts.role) ? null : 'Only the sender, the owner, moderators or admins may delete a message';
    case 'setModerator':
    case 'update':
    case 'delete':
      return facts.role === 'owner' ? null : 'Only the owner may do this';
    case 'removeMember':
      if (isSelf) return null;
      return mayManage(facts.role, target?.role ?? null) ? null : 'You may not remove this member';
    case 'ban':
      if (isSelf) return 'You cannot ban yourself';
      return mayManage(facts.role, target?.role ?? null) ? null : 'You may not ban this user';
  }
}

/** Owner over moderators and members; moderators over members (and non-members). Nobody over the owner. */
function mayManage(actor: MemberRole | null, target: MemberRole | null): boolean {
  if (target === 'owner') return false;
  if (actor === 'owner') return true;
  return actor === 'moderator' && target !== 'moderator';
}

/** Visible to the caller: a public room, or a private one they are a member of. */
function visibleRefusal(facts: RoomFacts): string | null {
  return (facts.room?.visibility ?? 'public') === 'private' && facts.role === null ? 'This room is private' : null;
}

/**
 * A DM is its two users' alone (admins included, as in part 1): they read it, react, mark it
 * read and edit or delete their own messages; an admin may delete any message (moderation).
 * It is reached only through dm:send and has no settings, members or bans to manage.
 */
function dmRefusal(caller: Caller, members: readonly string[], action: RoomAction, target?: Target): string | null {
  if (action === 'deleteMessage' && caller.role === 'admin') return null;
  if (!members.includes(caller.id)) return 'Not your conversation';
  switch (action) {
    case 'view':
    case 'read':
    case 'react':
    case 'markRead':
      return null;
    case 'editMessage':
    case 'deleteMessage':
      return target?.userId === caller.id ? null : 'Only the sender may do this';
    case 'join':
    case 'send':
      return 'Direct-message rooms are reachable only through dm:send';
    default:
      return 'Direct-message rooms have no members or settings to manage';
  }
}
