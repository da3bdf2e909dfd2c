import { Injectable } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { DataSource, EntityManager, Repository } from 'typeorm';
import { Principal } from '../auth/principal';
import { AppError } from '../common/errors';
import { AppConfig } from '../config/app-config';
import { isUniqueViolation } from '../database/errors';
import { rawDate } from '../database/row-sql';
import { Statement, StatementWriter } from '../database/statement-writer';
import {
  ANNOUNCEMENTS,
  MEMBER_ADDED_REASONS,
  MEMBER_REMOVED_REASONS,
  Ban,
  CreateRoomBody,
  Member,
  MemberRole,
  PutBanBody,
  RoomRef,
  UpdateRoomBody,
  UserSummary,
  Visibility,
} from '../protocol';
import { toUserSummary } from '../users/user.view';
import { UsersService } from '../users/users.service';
import { WebhooksService } from '../webhooks/webhooks.service';
import { BanEntity, isActiveBan } from './ban.entity';
import { MembershipEntity } from './membership.entity';
import { parseRoom } from './room-names';
import { RoomAction, RoomFacts, refusal, Target } from './room-policy';
import { RoomSockets } from './room-sockets';
import { toBan, toMember } from './room.view';
import { RoomEntity } from './room.entity';

/** Where a new member's read marker starts: the room's latest message id at that moment (null: none yet). */
export type MarkerStart = string | null;

const MARKER_DEADLINE_MS = 5000;
const ROOM_DELETION_DEADLINE_MS = 30_000;

const FACTS_SQL = `SELECT r.visibility AS visibility, r.owner_id AS owner_id, m.role AS role, b.user_id AS banned_user, b.until AS ban_until
  FROM (SELECT 1 AS one) q
  LEFT JOIN rooms r ON r.name = ?
  LEFT JOIN room_members m ON m.room = ? AND m.user_id = ?
  LEFT JOIN room_bans b ON b.room = ? AND b.user_id = ?`;
interface FactsRow {
  visibility: Visibility | null;
  owner_id: string | null;
  role: MemberRole | null;
  banned_user: string | null;
  ban_until: unknown;
}

/**
 * Rooms, memberships and bans: loading the facts RoomPolicy decides on, and every change to
 * them (with its effect on live sockets through RoomSockets). What involves messages (their
 * existence, the latest one) is handed in by the chat module, which owns them.
 */
@Injectable()
export class RoomsService {
  /** Moves a read marker forward only, in one statement (no read-then-write race). */
  private readonly advanceSql: string;

  constructor(
    @InjectRepository(RoomEntity) private readonly rooms: Repository<RoomEntity>,
    @InjectRepository(MembershipEntity) private readonly members: Repository<MembershipEntity>,
    @InjectRepository(BanEntity) private readonly bans: Repository<BanEntity>,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly users: UsersService,
    private readonly config: AppConfig,
    private readonly sockets: RoomSockets,
    private readonly statements: StatementWriter,
    private readonly webhooks: WebhooksService,
  ) {
    const driver = dataSource.driver;
    const [table, marker, room, user] = ['room_members', 'last_read_message_id', 'room', 'user_id'].map((name) => driver.escape(name));
    this.advanceSql = `UPDATE ${table} SET ${marker} = ? WHERE ${room} = ? AND ${user} = ? AND (${marker} IS NULL OR ${marker} < ?)`;
  }

  /** What RoomPolicy needs about `userId` in the room: one query of three primary-key lookups (none for a DM). */
  async facts(ref: RoomRef, userId: string): Promise<RoomFacts> {
    if (ref.kind === 'dm') return { ref, room: null, role: null, banned: false };
    const [row] = (await this.dataSource.query(FACTS_SQL, [ref.name, ref.name, userId, ref.name, userId])) as FactsRow[];
    return {
      ref,
      room: row?.visibility ? { visibility: row.visibility, ownerId: row.owner_id } : null,
      role: row?.role ?? null,
      banned: row?.banned_user ? isActiveBan({ until: rawDate(row.ban_until) }) : false,
    };
  }

  /** The facts, once the policy allows `action`; FORBIDDEN (403) otherwise. */
  async authorize(caller: Principal, name: string | RoomRef, action: RoomAction, target?: Target): Promise<RoomFacts> {
    const ref = typeof name === 'string' ? parseRoom(name) : name;
    const facts = await this.facts(ref, caller.id);
    this.assert(caller, facts, action, target);
    return facts;
  }

  assert(caller: Principal, facts: RoomFacts, action: RoomAction, target?: Target): void {
    const reason = refusal(caller, facts, action, target);
    if (reason !== null) throw new AppError('FORBIDDEN', reason);
  }

  findRoom(name: string): Promise<RoomEntity | null> {
    return this.rooms.findOneBy({ name });
  }

  async firstJoinedAt(room: string): Promise<Date | null> {
    const row = await this.members.findOne({ select: { joinedAt: true }, where: { room }, order: { joinedAt: 'ASC' } });
    return row?.joinedAt ?? null;
  }

  memberCount(room: string): Promise<number> {
    return this.members.countBy({ room });
  }

  /**
   * Claims a name nobody used. `nameHasMessages` is asked inside the claim, after the row is
   * written, so a room is never created over existing history.
   */
  async create(caller: Principal, body: CreateRoomBody, nameHasMessages: (name: string) => Promise<boolean>): Promise<RoomEntity> {
    const ref = parseRoom(body.name);
    if (ref.kind === 'dm') throw new AppError('VALIDATION_FAILED', 'room must be 1-64 characters of a-z 0-9 - _');
    if (ref.name === ANNOUNCEMENTS) throw new AppError('CONFLICT', 'This name is taken');
    const now = new Date();
    const room: RoomEntity = {
      name: ref.name,
      title: body.title ?? ref.name,
      visibility: body.visibility ?? 'public',
      ownerId: caller.id,
      createdAt: now,
    };
    let joinedBefore: string[] = [];
    try {
      // writes first: on SQLite a transaction that reads before writing can be refused once the writer thread commits
      await this.dataSource.transaction(async (manager) => {
        await manager.insert(RoomEntity, room);
        await this.assertOwnsAtMostCap(manager, caller.id);
        if (await nameHasMessages(ref.name)) throw new AppError('CONFLICT', 'This name is already in use');
        // people who had joined the implicit room (no messages yet) are not members of the new one
        const before = await manager.find(MembershipEntity, {
          where: { room: ref.name },
          relations: { user: this.webhooks.enabled('room.member_removed') },
        });
        joinedBefore = before.map((m) => m.userId);
        await manager.delete(MembershipEntity, { room: ref.name });
        await manager.delete(BanEntity, { room: ref.name });
        await manager.insert(MembershipEntity, { room: ref.name, userId: caller.id, role: 'owner', joinedAt: now, lastReadMessageId: null });
        await this.memberEvents(manager, 'room.member_removed', ref.name, before.map(summaryOf), 'deleted');
        await this.memberEvents(manager, 'room.member_added', ref.name, [toUserSummary(caller)], 'created');
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw new AppError('CONFLICT', 'This name is already a room');
      throw error;
    }
    if (joinedBefore.length > 0) this.sockets.deleted(ref.name);
    return room;
  }

  /** PATCH: title, visibility, ownership (to a member; the previous owner becomes a moderator). */
  async update(caller: Principal, name: string, body: UpdateRoomBody): Promise<RoomEntity> {
    const facts = await this.authorize(caller, name, 'update');
    const room = await this.findRoom(facts.ref.name);
    if (!room) throw new AppError('CONFLICT', 'An implicit room has no settings to change');
    const next: RoomEntity = { ...room, title: body.title ?? room.title, visibility: body.visibility ?? room.visibility };
    await this.dataSource.transaction(async (manager) => {
      await manager.update(RoomEntity, { name: room.name }, { title: next.title, visibility: next.visibility });
      if (body.ownerId === undefined || body.ownerId === room.ownerId) return;
      const promoted = await manager.update(MembershipEntity, { room: room.name, userId: body.ownerId }, { role: 'owner' });
      if (!promoted.affected) throw new AppError('VALIDATION_FAILED', 'ownerId must be a member of the room');
      if (room.ownerId) await manager.update(MembershipEntity, { room: room.name, userId: room.ownerId }, { role: 'moderator' });
      await manager.update(RoomEntity, { name: room.name }, { ownerId: body.ownerId });
      await this.assertOwnsAtMostCap(manager, body.ownerId);
      next.ownerId = body.ownerId;
    });
    return next;
  }

  /** Forgets the room's settings, members and bans, and its messages (the chat module's statement); sockets leave it. */
  async deleteRoom(name: string, deleteMessages: Statement): Promise<void> {
    // one transaction through the writer: on SQLite its thread, so a big room's deletion never stops the event loop
    const escape = (identifier: string) => this.dataSource.driver.escape(identifier);
    const where = (table: string, column: string): Statement => ({ sql: `DELETE FROM ${escape(table)} WHERE ${escape(column)} = ?`, params: [name] });
    const statements = [where('room_members', 'room'), where('room_bans', 'room'), where('rooms', 'name'), deleteMessages];
    if (this.webhooks.enabled('room.member_removed')) {
      // every member's room.member_removed commits with the deletion
      const members = await this.members.find({ where: { room: name }, relations: { user: true } });
      const events = members.map((m) => this.webhooks.eventFromViews('room.member_removed', { room: name, user: summaryOf(m), reason: 'deleted' }));
      for (let i = 0; i < events.length; i += 500) statements.push(this.webhooks.insert(events.slice(i, i + 500)));
    }
    await this.statements.runAll(statements, Date.now() + ROOM_DELETION_DEADLINE_MS);
    if (this.webhooks.enabled('room.member_removed')) this.webhooks.wake();
    this.sockets.deleted(name);
  }

  async listMembers(caller: Principal, name: string): Promise<Member[]> {
    const facts = await this.authorize(caller, name, 'listMembers');
    const rows = await this.members.find({ where: { room: facts.ref.name }, relations: { user: true }, order: { joinedAt: 'ASC', userId: 'ASC' } });
    return rows.map((row) => toMember(row, summaryOf(row)));
  }

  async getMember(caller: Principal, name: string, userId: string): Promise<Member> {
    const facts = await this.authorize(caller, name, 'listMembers');
    const row = await this.members.findOne({ where: { room: facts.ref.name, userId }, relations: { user: true } });
    if (!row) throw new AppError('NOT_FOUND', 'Not a member of this room');
    return toMember(row, summaryOf(row));
  }

  /**
   * `room:join` on a room the caller may join makes them a member (if not yet), unless a ban
   * came into force meanwhile. True when they are a member afterwards.
   */
  async joinAsMember(room: string, userId: string, marker: MarkerStart): Promise<boolean> {
    const ban = await this.bans.findOneBy({ room, userId });
    if (isActiveBan(ban)) return false;
    const member: MembershipEntity = { room, userId, role: 'member', joinedAt: new Date(), lastReadMessageId: marker };
    try {
      await this.insertMember(member, 'joined');
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
    }
    return true;
  }

  /** The two users of a DM conversation, as members whose markers start before its first message. */
  async ensureDmMembers(room: string, userIds: readonly string[]): Promise<void> {
    const existing = new Set((await this.members.find({ select: { userId: true }, where: { room } })).map((m) => m.userId));
    for (const userId of userIds) {
      if (existing.has(userId)) continue;
      try {
        await this.members.insert({ room, userId, role: 'member', joinedAt: new Date(), lastReadMessageId: null });
      } catch (error) {
        if (!isUniqueViolation(error)) throw error;
      }
    }
  }

  /**
   * Moves the member's read marker forward to `messageId` (never back), through the writer
   * (SQLite: its thread), committed before this resolves; the marker as it is afterwards.
   */
  async advanceMarker(room: string, userId: string, messageId: string): Promise<string> {
    await this.statements.run(this.advanceSql, [messageId, room, userId, messageId], Date.now() + MARKER_DEADLINE_MS);
    const row = await this.members.findOne({ select: { lastReadMessageId: true }, where: { room, userId } });
    return row?.lastReadMessageId ?? messageId;
  }

  /** The member's read marker (null: before the first message, or not a member). */
  async marker(room: string, userId: string): Promise<string | null> {
    const row = await this.members.findOne({ select: { lastReadMessageId: true }, where: { room, userId } });
    return row?.lastReadMessageId ?? null;
  }

  /** PUT member: owner and moderators add members; only the owner grants or takes `moderator`. */
  async putMember(
    caller: Principal,
    name: string,
    userId: string,
    role: 'member' | 'moderator' | undefined,
    marker: () => Promise<MarkerStart>,
  ): Promise<Member> {
    const facts = await this.authorize(caller, name, 'addMember');
    const room = facts.ref.name;
    const user = await this.users.getSummary(userId);
    const existing = await this.members.findOneBy({ room, userId });
    if (existing) {
      const wanted = role ?? existing.role;
      if (wanted !== existing.role) {
        if (existing.role === 'owner') throw new AppError('CONFLICT', 'The owner stays owner until ownership is transferred');
        this.assert(caller, facts, 'setModerator');
        await this.members.update({ room, userId }, { role: wanted });
        existing.role = wanted;
      }
      return toMember(existing, user);
    }
    if (role === 'moderator') this.assert(caller, facts, 'setModerator');
    if (isActiveBan(await this.bans.findOneBy({ room, userId }))) throw new AppError('CONFLICT', 'This user is banned from the room');
    const member: MembershipEntity = { room, userId, role: role ?? 'member', joinedAt: new Date(), lastReadMessageId: await marker() };
    try {
      await this.insertMember(member, 'added', user);
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      return this.getMember(caller, name, userId);
    }
    return toMember(member, user);
  }

  /** DELETE member: anyone for themself (not the owner), owner and moderators for members, the owner for moderators. */
  async removeMember(caller: Principal, name: string, userId: string): Promise<void> {
    const ref = parseRoom(name);
    const facts = await this.facts(ref, caller.id);
    const target = await this.members.findOne({ where: { room: ref.name, userId }, relations: { user: true } });
    // non-members learn nothing about a private room's members: the policy answers first
    this.assert(caller, facts, 'removeMember', { userId, role: target?.role ?? 'member' });
    if (!target) throw new AppError('NOT_FOUND', 'Not a member of this room');
    if (target.role === 'owner') throw new AppError('CONFLICT', 'The owner must transfer ownership first');
    const reason = userId === caller.id ? 'left' : 'removed';
    if (this.webhooks.enabled('room.member_removed')) {
      await this.dataSource.transaction(async (manager) => {
        const removed = await manager.delete(MembershipEntity, { room: ref.name, userId });
        if (removed.affected) await this.memberEvents(manager, 'room.member_removed', ref.name, [summaryOf(target)], reason);
      });
    } else {
      await this.members.delete({ room: ref.name, userId });
    }
    await this.sockets.removed(ref.name, summaryOf(target), reason);
  }

  /** PUT ban: removes the user (reason `banned`) and refuses them until `until` (or the ban is lifted). */
  async ban(caller: Principal, name: string, userId: string, body: PutBanBody): Promise<void> {
    const ref = parseRoom(name);
    const facts = await this.facts(ref, caller.id);
    const target = await this.members.findOneBy({ room: ref.name, userId });
    this.assert(caller, facts, 'ban', { userId, role: target?.role ?? null });
    const user = await this.users.getSummary(userId);
    if (target?.role === 'owner') throw new AppError('CONFLICT', 'The owner cannot be banned; transfer ownership first');
    const until = body.until === undefined ? null : new Date(body.until);
    if (until && until.getTime() <= Date.now()) throw new AppError('VALIDATION_FAILED', 'until must be in the future');
    await this.dataSource.transaction(async (manager) => {
      await manager.delete(BanEntity, { room: ref.name, userId });
      await manager.insert(BanEntity, { room: ref.name, userId, until, reason: body.reason ?? null, createdAt: new Date() });
      const removed = await manager.delete(MembershipEntity, { room: ref.name, userId });
      if (removed.affected) await this.memberEvents(manager, 'room.member_removed', ref.name, [user], 'banned');
    });
    await this.sockets.removed(ref.name, user, 'banned');
  }

  async unban(caller: Principal, name: string, userId: string): Promise<void> {
    const facts = await this.authorize(caller, name, 'unban');
    const result = await this.bans.delete({ room: facts.ref.name, userId });
    if (!result.affected) throw new AppError('NOT_FOUND', 'This user is not banned from the room');
  }

  /** The bans in force. */
  async listBans(caller: Principal, name: string): Promise<Ban[]> {
    const facts = await this.authorize(caller, name, 'listBans');
    const rows = await this.bans.find({ where: { room: facts.ref.name }, relations: { user: true }, order: { createdAt: 'ASC' } });
    const now = Date.now();
    return rows.filter((row) => isActiveBan(row, now)).map((row) => toBan(row, summaryOf(row)));
  }

  /**
   * A new membership, with its room.member_added in the same transaction while webhooks want
   * it (otherwise the plain INSERT of before). `user` when the caller has it, else looked up.
   */
  private async insertMember(member: MembershipEntity, reason: 'joined' | 'added', user?: UserSummary): Promise<void> {
    if (!this.webhooks.enabled('room.member_added')) {
      await this.members.insert(member);
      return;
    }
    const summary = user ?? (await this.users.getSummary(member.userId));
    await this.dataSource.transaction(async (manager) => {
      await manager.insert(MembershipEntity, member);
      await this.memberEvents(manager, 'room.member_added', member.room, [summary], reason);
    });
  }

  /** Membership webhooks inside `manager`'s transaction (nothing while the type is off). */
  private async memberEvents(
    manager: EntityManager,
    type: 'room.member_added' | 'room.member_removed',
    room: string,
    users: UserSummary[],
    reason: (typeof MEMBER_ADDED_REASONS)[number] | (typeof MEMBER_REMOVED_REASONS)[number],
  ): Promise<void> {
    if (users.length === 0 || !this.webhooks.enabled(type)) return;
    await this.webhooks.store(
      users.map((user) => this.webhooks.eventFromViews(type, { room, user: toUserSummary(user), reason })),
      manager,
    );
  }

  private async assertOwnsAtMostCap(manager: EntityManager, userId: string): Promise<void> {
    const owned = await manager.countBy(RoomEntity, { ownerId: userId });
    if (owned > this.config.roomsPerUser) throw new AppError('LIMIT_EXCEEDED', `A user may own at most ${this.config.roomsPerUser} rooms`);
  }
}

const summaryOf = (row: { userId: string; user?: { displayName: string } }): UserSummary => ({
  id: row.userId,
  displayName: row.user?.displayName ?? '',
});
