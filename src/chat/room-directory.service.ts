import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { Principal } from '../auth/principal';
import { rawDate } from '../database/row-sql';
import { CreateRoomBody, LIMITS, Member, MemberRole, parseRoomName, Room, RoomEntry, UpdateRoomBody, Visibility } from '../protocol';
import { parseRoom } from '../rooms/room-names';
import { toRoom } from '../rooms/room.view';
import { RoomsService } from '../rooms/rooms.service';
import { UsersService } from '../users/users.service';
import { BY_ROOM_AND_ID, indexHint, MessagesService } from './messages.service';

/** Unread messages after the member's marker, not their own, not deleted: probe the 1000th, else count. */
const unreadOf = (room: string, marker: string, hint: string) => `CASE
    WHEN (SELECT u.id FROM messages u ${hint} WHERE u.room = ${room} AND u.id > ${marker} AND u.sender_id <> ? AND u.deleted_at IS NULL
          ORDER BY u.id LIMIT 1 OFFSET ${LIMITS.unreadCap - 1}) IS NOT NULL THEN ${LIMITS.unreadCap}
    ELSE (SELECT COUNT(*) FROM messages u ${hint} WHERE u.room = ${room} AND u.id > ${marker} AND u.sender_id <> ? AND u.deleted_at IS NULL)
  END`;
const latestIdOf = (room: string, hint: string) => `(SELECT l.id FROM messages l ${hint} WHERE l.room = ${room} ORDER BY l.id DESC LIMIT 1)`;
const latestAtOf = (room: string, hint: string) => `(SELECT l.created_at FROM messages l ${hint} WHERE l.room = ${room} ORDER BY l.id DESC LIMIT 1)`;
const firstAtOf = (room: string, hint: string) => `(SELECT f.created_at FROM messages f ${hint} WHERE f.room = ${room} ORDER BY f.id ASC LIMIT 1)`;
const membersOf = (room: string) => `(SELECT COUNT(*) FROM room_members c WHERE c.room = ${room})`;

/**
 * `GET /rooms` in four set-based queries, whatever the number of rooms: (1) the caller's
 * memberships (rooms, implicit rooms, DMs) with, per row, index seeks for the latest and
 * first message, the member count (primary-key prefix) and the unread count (bounded at
 * 1000); (2) the created public rooms the caller is not in, most recently active first, at
 * most 200; (3) the last messages by id; (4) the DM peers' names.
 */
const memberRoomsSql = (hint: string) => `SELECT rm.room AS name, rm.role AS role, rm.joined_at AS joined_at,
    r.title AS title, r.visibility AS visibility, r.owner_id AS owner_id, r.created_at AS created_at,
    ${latestIdOf('rm.room', hint)} AS last_id, CASE WHEN r.name IS NULL THEN ${firstAtOf('rm.room', hint)} END AS first_at, ${membersOf('rm.room')} AS member_count,
    ${unreadOf('rm.room', "COALESCE(rm.last_read_message_id, '')", hint)} AS unread
  FROM room_members rm LEFT JOIN rooms r ON r.name = rm.room
  WHERE rm.user_id = ?`;
/** The member counts are taken for the 200 rooms listed only, not for every public room. */
const publicRoomsSql = (hint: string) => `SELECT p.*, ${membersOf('p.name')} AS member_count FROM (
    SELECT r.name AS name, r.title AS title, r.visibility AS visibility, r.owner_id AS owner_id, r.created_at AS created_at,
      ${latestIdOf('r.name', hint)} AS last_id, COALESCE(${latestAtOf('r.name', hint)}, r.created_at) AS activity
    FROM rooms r
    WHERE r.visibility = 'public' AND NOT EXISTS (SELECT 1 FROM room_members x WHERE x.room = r.name AND x.user_id = ?)
    ORDER BY activity DESC, r.name ASC
    LIMIT ${LIMITS.publicRoomsListed}
  ) p
  ORDER BY p.activity DESC, p.name ASC`;

interface RoomRow {
  name: string;
  title: string | null;
  visibility: Visibility | null;
  owner_id: string | null;
  created_at: unknown;
  last_id: string | null;
  member_count: number | string;
}
interface MemberRoomRow extends RoomRow {
  role: MemberRole;
  joined_at: unknown;
  first_at: unknown;
  unread: number | string;
}

/**
 * What involves both rooms and their messages: the room list, a room's details (an implicit
 * room's creation is its first message), creating (a name with messages cannot be claimed),
 * deleting (the messages go too), adding members (their marker starts at the latest message).
 */
@Injectable()
export class RoomDirectory {
  private readonly memberRoomsSql: string;
  private readonly publicRoomsSql: string;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly rooms: RoomsService,
    private readonly messages: MessagesService,
    private readonly users: UsersService,
  ) {
    const hint = indexHint(dataSource, BY_ROOM_AND_ID);
    this.memberRoomsSql = memberRoomsSql(hint);
    this.publicRoomsSql = publicRoomsSql(hint);
  }

  async list(user: Principal): Promise<RoomEntry[]> {
    const mine = (await this.dataSource.query(this.memberRoomsSql, [user.id, user.id, user.id])) as MemberRoomRow[];
    const others = (await this.dataSource.query(this.publicRoomsSql, [user.id])) as RoomRow[];
    const lastIds = [...mine, ...others].map((row) => row.last_id).filter((id): id is string => id !== null);
    const last = await this.messages.byIds(lastIds);
    const peers = new Map<string, string>();
    for (const row of mine) {
      const ref = parseRoomName(row.name);
      if (ref?.kind === 'dm') peers.set(row.name, ref.members[0] === user.id ? ref.members[1] : ref.members[0]);
    }
    const names = await this.users.summaries([...peers.values()]);
    const entries: Array<{ entry: RoomEntry; activity: number }> = [];
    for (const row of mine) {
      const lastMessage = row.last_id ? (last.get(row.last_id) ?? null) : null;
      const createdAt = rawDate(row.created_at) ?? rawDate(row.first_at) ?? (rawDate(row.joined_at) as Date);
      const room = toRoom(row.name, row.title === null ? null : roomOf(row), Number(row.member_count), createdAt);
      const entry: RoomEntry = { ...room, role: row.role, unread: Number(row.unread), lastMessage };
      const peerId = peers.get(row.name);
      if (peerId) {
        const peer = names.get(peerId) ?? { id: peerId, displayName: '' };
        Object.assign(entry, { title: peer.displayName, visibility: 'private', ownerId: null, peer });
      }
      entries.push({ entry, activity: activityOf(lastMessage, createdAt) });
    }
    for (const row of others) {
      const lastMessage = row.last_id ? (last.get(row.last_id) ?? null) : null;
      const createdAt = rawDate(row.created_at) as Date;
      const room = toRoom(row.name, roomOf(row), Number(row.member_count), createdAt);
      entries.push({ entry: { ...room, role: null, unread: 0, lastMessage }, activity: activityOf(lastMessage, createdAt) });
    }
    return entries.sort((a, b) => b.activity - a.activity || a.entry.name.localeCompare(b.entry.name)).map((e) => e.entry);
  }

  /** `GET /rooms/:room`: public rooms for anyone, private ones for members (and admins). */
  async view(user: Principal, name: string): Promise<Room> {
    const facts = await this.rooms.authorize(user, name, 'view');
    const { ref } = facts;
    if (ref.kind === 'dm') {
      // a conversation: titled by the other user, private to the two
      const peerId = ref.members[0] === user.id ? ref.members[1] : ref.members[0];
      const peer = (await this.users.summaries([peerId])).get(peerId);
      const createdAt = (await this.messages.firstCreatedAt(ref.name)) ?? new Date();
      return {
        name: ref.name,
        title: peer?.displayName ?? '',
        visibility: 'private',
        ownerId: null,
        createdAt: createdAt.toISOString(),
        memberCount: 2,
      };
    }
    return this.describe(ref.name);
  }

  async create(user: Principal, body: CreateRoomBody): Promise<Room> {
    const room = await this.rooms.create(user, body, (candidate) => this.messages.hasMessages(candidate));
    return toRoom(room.name, room, 1, room.createdAt);
  }

  async update(user: Principal, name: string, body: UpdateRoomBody): Promise<Room> {
    const room = await this.rooms.update(user, name, body);
    return toRoom(room.name, room, await this.rooms.memberCount(room.name), room.createdAt);
  }

  /** `DELETE /rooms/:room`: its messages, members and bans go; every socket in it gets `room:deleted`. */
  async remove(user: Principal, name: string): Promise<void> {
    const facts = await this.rooms.authorize(user, name, 'delete');
    const room = facts.ref.name;
    await this.rooms.deleteRoom(room, this.messages.deleteRoomMessages(room));
  }

  putMember(user: Principal, name: string, userId: string, role: 'member' | 'moderator' | undefined): Promise<Member> {
    return this.rooms.putMember(user, name, userId, role, () => this.messages.latestId(parseRoom(name).name));
  }

  private async describe(name: string): Promise<Room> {
    const [room, memberCount, firstAt] = await Promise.all([
      this.rooms.findRoom(name),
      this.rooms.memberCount(name),
      this.messages.firstCreatedAt(name),
    ]);
    if (!room && !firstAt && memberCount === 0) {
      // an implicit room nobody used yet: it exists as of now
      return toRoom(name, null, 0, new Date());
    }
    return toRoom(name, room, memberCount, room?.createdAt ?? firstAt ?? (await this.rooms.firstJoinedAt(name)) ?? new Date());
  }
}

function roomOf(row: RoomRow) {
  return {
    name: row.name,
    title: row.title ?? row.name,
    visibility: row.visibility ?? 'public',
    ownerId: row.owner_id,
    createdAt: rawDate(row.created_at) as Date,
  };
}

const activityOf = (lastMessage: { createdAt: string } | null, createdAt: Date) =>
  lastMessage ? Date.parse(lastMessage.createdAt) : createdAt.getTime();
