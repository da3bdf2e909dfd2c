import { ConnectedSocket, OnGatewayConnection, OnGatewayInit, SubscribeMessage, WebSocketServer } from '@nestjs/websockets';
import { Principal } from '../auth/principal';
import { AppError } from '../common/errors';
import { Payload } from '../common/validation';
import { AppConfig } from '../config/app-config';
import { ANNOUNCEMENTS, Chat, CHAT, DataOf, dmRoomName, Message, MessagePage, PayloadOf, UserSummary } from '../protocol';
import { ParleyNamespace, ParleySocket, socketRoom, userRoom } from '../realtime/events';
import { RealtimeGateway } from '../realtime/realtime-gateway.decorator';
import { RealtimeService } from '../realtime/realtime.service';
import { WsUser } from '../realtime/ws-user.decorator';
import { parsePublicRoom, parseRoom } from '../rooms/room-names';
import { refusal } from '../rooms/room-policy';
import { RoomSockets } from '../rooms/room-sockets';
import { RoomsService } from '../rooms/rooms.service';
import { toUserSummary } from '../users/user.view';
import { UsersService } from '../users/users.service';
import { ChatEmitter } from './chat-emitter';
import { DmMembers } from './dm-members';
import { MessagesService } from './messages.service';
import { PresenceService } from './presence.service';

type ChatSocket = ParleySocket<Chat>;
const { client } = CHAT;

/** Joins in flight per socket: they hold a place under WS_MAX_ROOMS_PER_SOCKET until they finish. */
const joining = new WeakMap<object, Set<string>>();

/**
 * `/chat`: thin handlers; who may do what is RoomPolicy's (through RoomsService), storage is
 * MessagesService's. Being in a room's Socket.IO room is the capability to send and type
 * there: only an allowed `room:join` puts a socket in, and removal, bans and deletion take it
 * out on every node, so `message:send` needs no query beyond its own insert.
 */
@RealtimeGateway('/chat')
export class ChatGateway implements OnGatewayInit, OnGatewayConnection {
  @WebSocketServer() private readonly nsp!: ParleyNamespace<Chat>;

  constructor(
    private readonly realtime: RealtimeService,
    private readonly messages: MessagesService,
    private readonly presence: PresenceService,
    private readonly users: UsersService,
    private readonly rooms: RoomsService,
    private readonly roomSockets: RoomSockets,
    private readonly emitter: ChatEmitter,
    private readonly dmMembers: DmMembers,
    private readonly config: AppConfig,
  ) {}

  afterInit(nsp: ParleyNamespace<Chat>): void {
    this.realtime.attach(nsp, { notifications: true });
    this.presence.attach(nsp);
    this.roomSockets.attach(nsp);
    this.emitter.attach(nsp);
  }

  handleConnection(socket: ChatSocket): void {
    // `disconnecting`, not `disconnect`: the socket's rooms are still known here.
    socket.on('disconnecting', () => {
      const rooms = [...socket.rooms].filter((key) => key.startsWith('room:')).map((key) => key.slice('room:'.length));
      void this.presence.left(toUserSummary(socket.data.user), socket.id, rooms).catch(() => undefined);
    });
  }

  @SubscribeMessage('room:join')
  async join(
    @ConnectedSocket() socket: ChatSocket,
    @WsUser() user: Principal,
    @Payload(client['room:join'].payload) dto: PayloadOf<Chat, 'room:join'>,
  ): Promise<DataOf<Chat, 'room:join'>> {
    const room = parsePublicRoom(dto.room);
    const key = socketRoom(room);
    const release = socket.rooms.has(key) ? () => undefined : this.reserve(socket, key);
    try {
      const facts = await this.rooms.authorize(user, { kind: 'named', name: room }, 'join');
      const sinceAt = dto.since !== undefined ? await this.messages.createdAtOf(room, dto.since, 'NOT_FOUND', 'since') : undefined;
      // Join before reading history: a message sent meanwhile arrives live (possibly also in
      // history; clients de-duplicate by id) instead of being lost.
      let online: UserSummary[];
      if (socket.rooms.has(key)) {
        online = await this.presence.list(room);
      } else {
        // One cluster-wide read serves both the first-arrival check and the online list.
        online = await this.presence.list(room);
        await socket.join(key);
        await this.admitAfterJoin(socket, user, room, facts.role !== null);
        if (!online.some((u) => u.id === user.id)) {
          online.push(toUserSummary(user));
          socket.to(key).emit('presence:join', { room, user: toUserSummary(user) });
        }
      }
      if (sinceAt === undefined || dto.since === undefined) {
        const page = await this.messages.page(room, undefined);
        return { room, online, history: page.messages, hasMore: page.hasMore };
      }
      const [page, changed] = await Promise.all([this.messages.since(room, dto.since), this.messages.updatedSince(room, dto.since, sinceAt)]);
      return { room, online, history: page.messages, hasMore: page.hasMore, ...changed };
    } finally {
      release();
    }
  }

  @SubscribeMessage('room:leave')
  async leave(@ConnectedSocket() socket: ChatSocket, @Payload(client['room:leave'].payload) dto: PayloadOf<Chat, 'room:leave'>) {
    const room = parsePublicRoom(dto.room);
    if (socket.rooms.has(socketRoom(room))) {
      await socket.leave(socketRoom(room));
      await this.presence.left(toUserSummary(socket.data.user), socket.id, [room]);
    }
    return { room };
  }

  @SubscribeMessage('message:send')
  async send(
    @ConnectedSocket() socket: ChatSocket,
    @WsUser() user: Principal,
    @Payload(client['message:send'].payload) dto: PayloadOf<Chat, 'message:send'>,
  ): Promise<Message> {
    const room = parsePublicRoom(dto.room);
    // in the room = allowed at join and not removed, banned or deleted since (see the class comment)
    if (!socket.rooms.has(socketRoom(room))) throw new AppError('FORBIDDEN', 'Join the room first');
    if (room === ANNOUNCEMENTS && user.role !== 'admin') throw new AppError('FORBIDDEN', 'Only admins may post announcements');
    const { message, created } = await this.messages.append({ room, sender: user, body: dto.body, clientMsgId: dto.clientMsgId });
    if (created) this.nsp.to(socketRoom(room)).emit('message:new', message);
    return message;
  }

  @SubscribeMessage('message:history')
  async history(
    @WsUser() user: Principal,
    @Payload(client['message:history'].payload) dto: PayloadOf<Chat, 'message:history'>,
  ): Promise<MessagePage> {
    const facts = await this.rooms.authorize(user, dto.room, 'read');
    return this.messages.page(facts.ref.name, dto.before, dto.limit);
  }

  @SubscribeMessage('dm:send')
  async directMessage(@WsUser() user: Principal, @Payload(client['dm:send'].payload) dto: PayloadOf<Chat, 'dm:send'>): Promise<Message> {
    const recipient = await this.users.findById(dto.to);
    if (!recipient) throw new AppError('NOT_FOUND', 'No such user');
    if (recipient.id === user.id) throw new AppError('VALIDATION_FAILED', 'to must be another user');
    const room = dmRoomName(user.id, recipient.id);
    await this.dmMembers.ensure(room, [user.id, recipient.id]);
    const { message, created } = await this.messages.append({
      room,
      sender: user,
      body: dto.body,
      clientMsgId: dto.clientMsgId,
      recipient: toUserSummary(recipient),
    });
    if (created) this.nsp.to([userRoom(user.id), userRoom(recipient.id)]).emit('dm:new', message);
    return message;
  }

  @SubscribeMessage('typing')
  typing(@ConnectedSocket() socket: ChatSocket, @WsUser() user: Principal, @Payload(client.typing.payload) dto: PayloadOf<Chat, 'typing'>) {
    const room = parsePublicRoom(dto.room);
    if (!socket.rooms.has(socketRoom(room))) throw new AppError('FORBIDDEN', 'Join the room first');
    socket.volatile
      .to(socketRoom(room))
      .except(userRoom(user.id))
      .emit('typing', { room, user: toUserSummary(user), typing: dto.typing });
    return {};
  }

  @SubscribeMessage('presence:list')
  async presenceList(
    @ConnectedSocket() socket: ChatSocket,
    @WsUser() user: Principal,
    @Payload(client['presence:list'].payload) dto: PayloadOf<Chat, 'presence:list'>,
  ) {
    const room = parsePublicRoom(dto.room);
    // a socket in the room was allowed in; anyone else asks the policy (private rooms: members only)
    if (!socket.rooms.has(socketRoom(room))) await this.rooms.authorize(user, { kind: 'named', name: room }, 'read');
    return { online: await this.presence.list(room) };
  }

  @SubscribeMessage('message:edit')
  edit(@WsUser() user: Principal, @Payload(client['message:edit'].payload) dto: PayloadOf<Chat, 'message:edit'>): Promise<Message> {
    return this.messages.edit(user, dto.id, dto.body);
  }

  @SubscribeMessage('message:delete')
  async remove(@WsUser() user: Principal, @Payload(client['message:delete'].payload) dto: PayloadOf<Chat, 'message:delete'>) {
    const { id } = await this.messages.deleteMessage(dto.id, { kind: 'user', user });
    return { id };
  }

  @SubscribeMessage('reaction:add')
  react(@WsUser() user: Principal, @Payload(client['reaction:add'].payload) dto: PayloadOf<Chat, 'reaction:add'>): Promise<Message> {
    return this.messages.react(user, dto.id, dto.emoji, true);
  }

  @SubscribeMessage('reaction:remove')
  unreact(@WsUser() user: Principal, @Payload(client['reaction:remove'].payload) dto: PayloadOf<Chat, 'reaction:remove'>): Promise<Message> {
    return this.messages.react(user, dto.id, dto.emoji, false);
  }

  @SubscribeMessage('room:read')
  async read(
    @ConnectedSocket() socket: ChatSocket,
    @WsUser() user: Principal,
    @Payload(client['room:read'].payload) dto: PayloadOf<Chat, 'room:read'>,
  ) {
    const state = await this.messages.markRead(user, dto.room, dto.messageId);
    // the user's other sockets, on every node, whether or not they are in the room
    socket.to(userRoom(user.id)).emit('room:read', state);
    return state;
  }

  @SubscribeMessage('auth:refresh')
  refresh(@ConnectedSocket() socket: ChatSocket, @Payload(client['auth:refresh'].payload) dto: PayloadOf<Chat, 'auth:refresh'>) {
    return this.realtime.refresh(socket, dto.token);
  }

  /**
   * A place under WS_MAX_ROOMS_PER_SOCKET for a room the socket is not in yet, held by the join
   * until it finishes (parallel joins cannot overshoot); LIMIT_EXCEEDED when none is left.
   */
  private reserve(socket: ChatSocket, key: string): () => void {
    const pending = joining.get(socket) ?? new Set<string>();
    joining.set(socket, pending);
    if (pending.has(key)) return () => undefined;
    let inRooms = 0;
    for (const room of socket.rooms) if (room.startsWith('room:')) inRooms++;
    if (inRooms + pending.size >= this.config.wsMaxRoomsPerSocket) {
      throw new AppError('LIMIT_EXCEEDED', `A socket may be in at most ${this.config.wsMaxRoomsPerSocket} rooms; leave one first`);
    }
    pending.add(key);
    return () => pending.delete(key);
  }

  /**
   * After the socket joined: the rules again, on fresh facts. A removal or ban that landed
   * between the first check and the join sent its leave before this socket was in the room;
   * this check sees it and takes the socket out. A caller not yet a member becomes one.
   */
  private async admitAfterJoin(socket: ChatSocket, user: Principal, room: string, wasMember: boolean): Promise<void> {
    const ref = parseRoom(room);
    const facts = await this.rooms.facts(ref, user.id);
    const reason = refusal(user, facts, 'join');
    const admitted =
      reason === null && (wasMember && facts.role !== null ? true : await this.rooms.joinAsMember(room, user.id, await this.messages.latestId(room)));
    if (!admitted) {
      await socket.leave(socketRoom(room));
      throw new AppError('FORBIDDEN', reason ?? 'You are banned from this room');
    }
  }
}
