import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Put, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentUser } from '../auth/decorators';
import { Principal } from '../auth/principal';
import { ApiAnswer, ApiBodySchema, ApiErrors, ApiQuerySchema } from '../common/api-docs';
import { SchemaPipe } from '../common/validation';
import {
  BanList,
  CreateRoomBody,
  HistoryQuery,
  Member,
  MemberList,
  MessagePage,
  PutBanBody,
  PutMemberBody,
  Room,
  RoomList,
  UpdateRoomBody,
} from '../protocol';
import { RoomsService } from '../rooms/rooms.service';
import { MessagesService } from './messages.service';
import { RoomDirectory } from './room-directory.service';

/** Rooms and their people over REST: thin; RoomPolicy (through RoomsService) decides. */
@ApiTags('rooms')
@Controller('rooms')
export class RoomsController {
  constructor(
    private readonly messages: MessagesService,
    private readonly rooms: RoomsService,
    private readonly directory: RoomDirectory,
  ) {}

  @ApiOperation({ summary: 'Create a room: claim a name nobody used; the caller owns it' })
  @Post()
  @ApiBodySchema(CreateRoomBody)
  @ApiAnswer(201, Room)
  @ApiErrors([400, 'Invalid name, title or visibility'], 401, [
    409,
    'The name is a room already, has messages, is announcements, or the caller owns ROOMS_PER_USER rooms',
  ])
  create(@CurrentUser() user: Principal, @Body(new SchemaPipe(CreateRoomBody)) body: CreateRoomBody): Promise<Room> {
    return this.directory.create(user, body);
  }

  @ApiOperation({ summary: "The caller's rooms, created public rooms and DM conversations, most recent activity first" })
  @Get()
  @ApiAnswer(200, RoomList)
  @ApiErrors(401)
  async list(@CurrentUser() user: Principal): Promise<RoomList> {
    return { rooms: await this.directory.list(user) };
  }

  @ApiOperation({ summary: "A room's details" })
  @Get(':room')
  @ApiAnswer(200, Room)
  @ApiErrors([400, 'Invalid room name'], 401, [403, 'A private room the caller is not a member of'])
  view(@CurrentUser() user: Principal, @Param('room') room: string): Promise<Room> {
    return this.directory.view(user, room);
  }

  @ApiOperation({ summary: 'Change title, visibility or owner (owner or admin)' })
  @Patch(':room')
  @ApiBodySchema(UpdateRoomBody)
  @ApiAnswer(200, Room)
  @ApiErrors(
    [400, 'Invalid fields, or ownerId not a member'],
    401,
    [403, 'Not the owner'],
    [409, 'An implicit room, or the new owner owns ROOMS_PER_USER rooms'],
  )
  update(@CurrentUser() user: Principal, @Param('room') room: string, @Body(new SchemaPipe(UpdateRoomBody)) body: UpdateRoomBody): Promise<Room> {
    return this.directory.update(user, room, body);
  }

  @ApiOperation({ summary: 'Delete a room and its messages (owner or admin); its sockets get room:deleted' })
  @Delete(':room')
  @HttpCode(204)
  @ApiAnswer(204, undefined, 'Every socket in the room, on every node, gets room:deleted and leaves it; the name is free again')
  @ApiErrors([400, 'Invalid room name'], 401, [403, 'Not the owner'])
  remove(@CurrentUser() user: Principal, @Param('room') room: string): Promise<void> {
    return this.directory.remove(user, room);
  }

  @ApiOperation({ summary: 'A page of history, oldest first' })
  @Get(':room/messages')
  @ApiQuerySchema(HistoryQuery)
  @ApiAnswer(200, MessagePage, 'Oldest first; `hasMore` when older messages exist')
  @ApiErrors([400, 'Invalid room name, limit or before'], 401, [403, 'A room the caller may not read'])
  async history(
    @CurrentUser() user: Principal,
    @Param('room') room: string,
    @Query(new SchemaPipe(HistoryQuery)) query: HistoryQuery,
  ): Promise<MessagePage> {
    const facts = await this.rooms.authorize(user, room, 'read');
    return this.messages.page(facts.ref.name, query.before, query.limit);
  }

  @ApiOperation({ summary: "A room's members" })
  @Get(':room/members')
  @ApiAnswer(200, MemberList)
  @ApiErrors([400, 'Invalid room name'], 401, [403, 'A private room the caller is not a member of'])
  async members(@CurrentUser() user: Principal, @Param('room') room: string): Promise<MemberList> {
    return { members: await this.rooms.listMembers(user, room) };
  }

  @ApiOperation({ summary: 'One member' })
  @Get(':room/members/:userId')
  @ApiAnswer(200, Member)
  @ApiErrors([400, 'Invalid room name'], 401, [403, 'A private room the caller is not a member of'], [404, 'Not a member'])
  member(@CurrentUser() user: Principal, @Param('room') room: string, @Param('userId') userId: string): Promise<Member> {
    return this.rooms.getMember(user, room, userId);
  }

  @ApiOperation({ summary: 'Add a member, or grant or take moderator' })
  @Put(':room/members/:userId')
  @ApiBodySchema(PutMemberBody)
  @ApiAnswer(200, Member, 'The member entry')
  @ApiErrors(
    [400, 'Invalid room name or role'],
    401,
    [403, 'Owner and moderators add members; only the owner grants or takes moderator'],
    [404, 'Unknown user'],
    [409, "The user is banned, or the owner's role"],
  )
  putMember(
    @CurrentUser() user: Principal,
    @Param('room') room: string,
    @Param('userId') userId: string,
    @Body(new SchemaPipe(PutMemberBody)) body: PutMemberBody,
  ): Promise<Member> {
    return this.directory.putMember(user, room, userId, body.role);
  }

  @ApiOperation({ summary: 'Leave, or remove a member; their sockets get room:removed' })
  @Delete(':room/members/:userId')
  @HttpCode(204)
  @ApiAnswer(204, undefined, 'Every /chat socket of the user, on every node, gets room:removed; those in the room leave it')
  @ApiErrors(
    [400, 'Invalid room name'],
    401,
    [403, 'Not allowed to remove this member'],
    [404, 'Not a member'],
    [409, 'The owner must transfer ownership first'],
  )
  removeMember(@CurrentUser() user: Principal, @Param('room') room: string, @Param('userId') userId: string): Promise<void> {
    return this.rooms.removeMember(user, room, userId);
  }

  @ApiOperation({ summary: 'The bans in force (owner and moderators)' })
  @Get(':room/bans')
  @ApiAnswer(200, BanList)
  @ApiErrors([400, 'Invalid room name'], 401, [403, 'Not the owner or a moderator'])
  async bans(@CurrentUser() user: Principal, @Param('room') room: string): Promise<BanList> {
    return { bans: await this.rooms.listBans(user, room) };
  }

  @ApiOperation({ summary: 'Ban a user until `until` (or until unbanned); removes them' })
  @Put(':room/bans/:userId')
  @HttpCode(204)
  @ApiBodySchema(PutBanBody)
  @ApiAnswer(204, undefined, 'Removed with reason banned; join, membership and sends refused until `until`')
  @ApiErrors(
    [400, 'Invalid fields, or until not in the future'],
    401,
    [403, 'Not allowed to ban this user'],
    [404, 'Unknown user'],
    [409, 'The owner'],
  )
  ban(
    @CurrentUser() user: Principal,
    @Param('room') room: string,
    @Param('userId') userId: string,
    @Body(new SchemaPipe(PutBanBody)) body: PutBanBody,
  ): Promise<void> {
    return this.rooms.ban(user, room, userId, body);
  }

  @ApiOperation({ summary: 'Lift a ban' })
  @Delete(':room/bans/:userId')
  @HttpCode(204)
  @ApiAnswer(204)
  @ApiErrors([400, 'Invalid room name'], 401, [403, 'Not the owner or a moderator'], [404, 'Not banned'])
  unban(@CurrentUser() user: Principal, @Param('room') room: string, @Param('userId') userId: string): Promise<void> {
    return this.rooms.unban(user, room, userId);
  }
}
