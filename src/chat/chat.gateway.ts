import { ConnectedSocket, OnGatewayConnection, OnGatewayInit, SubscribeMessage, WebSocketServer } from '@nestjs/websockets';
import { Principal } from '../auth/principal';
import { AppError } from '../common/errors';
import { Payload } from '../common/validation';
import { Chat, CHAT, DataOf, dmRoomName, Message, MessagePage, PayloadOf, UserSummary } from '../protocol';
import { ParleyNamespace, ParleySocket, userRoom } from '../realtime/events';
import { RealtimeGateway } from '../realtime/realtime-gateway.decorator';
import { RealtimeService } from '../realtime/realtime.service';
import { WsUser } from '../realtime/ws-user.decorator';
import { toUserSummary } from '../users/user.view';
import { UsersService } from '../users/users.service';
import { MessagesService } from './messages.service';
import { PresenceService } from './presence.service';
import { assertCanRead, assertCanSend, parsePublicRoom, socketRoom } from './rooms';

type ChatSocket = ParleySocket<Chat>;
const { client } = CHAT;

/** `/chat`: thin handlers; rules live in rooms.ts, storage in MessagesService. */
@RealtimeGateway('/chat')
export class ChatGateway implements OnGatewayInit, OnGatewayConnection {
  @WebSocketServer() private readonly nsp!: ParleyNamespace<Chat>;

  constructor(
    private readonly realtime: RealtimeService,
    private readonly messages: MessagesService,
    private readonly presence: PresenceService,
    private readonly users: UsersService,
  ) {}

  afterInit(nsp: ParleyNamespace<Chat>): void {
    this.realtime.attach(nsp);
    this.presence.attach(nsp);
  }

  handleConnection(socket: ChatSocket): void {
    // `disconnecting`, not `disconnect`: the socket's rooms are still known here.
    socket.on('disconnecting', () => {
      for (const key of socket.rooms) {
        if (key.startsWith('room:')) void this.announceLeave(socket, key.slice('room:'.length));
      }
    });
  }

  @SubscribeMessage('room:join')
  async join(
    @ConnectedSocket() socket: ChatSocket,
    @WsUser() user: Principal,
    @Payload(client['room:join'].payload) dto: PayloadOf<Chat, 'room:join'>,
  ): Promise<DataOf<Chat, 'room:join'>> {
    const room = parsePublicRoom(dto.room);
    if (dto.since !== undefined) await this.messages.assertInRoom(room, dto.since, 'NOT_FOUND', 'since');
    // Join before reading history: a message sent meanwhile arrives live (possibly also in
    // history; clients de-duplicate by id) instead of being lost.
    let online: UserSummary[];
    if (socket.rooms.has(socketRoom(room))) {
      online = await this.presence.list(room);
    } else {
      // One cluster-wide read serves both the first-arrival check and the online list.
      online = await this.presence.list(room);
      await socket.join(socketRoom(room));
      if (!online.some((u) => u.id === user.id)) {
        online.push(toUserSummary(user));
        socket.to(socketRoom(room)).emit('presence:join', { room, user: toUserSummary(user) });
      }
    }
    const page = dto.since !== undefined ? await this.messages.since(room, dto.since) : await this.messages.page(room, undefined);
    return { room, online, history: page.messages, hasMore: page.hasMore };
  }

  @SubscribeMessage('room:leave')
  async leave(@ConnectedSocket() socket: ChatSocket, @Payload(client['room:leave'].payload) dto: PayloadOf<Chat, 'room:leave'>) {
    const room = parsePublicRoom(dto.room);
    if (socket.rooms.has(socketRoom(room))) {
      await socket.leave(socketRoom(room));
      await this.announceLeave(socket, room);
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
    if (!socket.rooms.has(socketRoom(room))) throw new AppError('FORBIDDEN', 'Join the room first');
    assertCanSend(room, user);
    const { message, created } = await this.messages.append({ room, sender: user, body: dto.body, clientMsgId: dto.clientMsgId });
    if (created) this.nsp.to(socketRoom(room)).emit('message:new', message);
    return message;
  }

  @SubscribeMessage('message:history')
  history(@WsUser() user: Principal, @Payload(client['message:history'].payload) dto: PayloadOf<Chat, 'message:history'>): Promise<MessagePage> {
    const room = assertCanRead(dto.room, user);
    return this.messages.page(room.name, dto.before, dto.limit);
  }

  @SubscribeMessage('dm:send')
  async directMessage(@WsUser() user: Principal, @Payload(client['dm:send'].payload) dto: PayloadOf<Chat, 'dm:send'>): Promise<Message> {
    const recipient = await this.users.findById(dto.to);
    if (!recipient) throw new AppError('NOT_FOUND', 'No such user');
    const room = dmRoomName(user.id, recipient.id);
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
    socket.volatile.to(socketRoom(room)).except(userRoom(user.id)).emit('typing', { room, user: toUserSummary(user), typing: dto.typing });
    return {};
  }

  @SubscribeMessage('presence:list')
  async presenceList(@Payload(client['presence:list'].payload) dto: PayloadOf<Chat, 'presence:list'>) {
    return { online: await this.presence.list(parsePublicRoom(dto.room)) };
  }

  @SubscribeMessage('auth:refresh')
  refresh(@ConnectedSocket() socket: ChatSocket, @Payload(client['auth:refresh'].payload) dto: PayloadOf<Chat, 'auth:refresh'>) {
    return this.realtime.refresh(socket, dto.token);
  }

  /** presence:leave once the user's last socket (on any node) has left the room. */
  private async announceLeave(socket: ChatSocket, room: string): Promise<void> {
    const user = socket.data.user;
    if (!(await this.presence.isPresent(room, user.id, socket.id))) {
      this.nsp.to(socketRoom(room)).emit('presence:leave', { room, user: toUserSummary(user) });
    }
  }
}
