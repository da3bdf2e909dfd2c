import { ConnectedSocket, OnGatewayInit, SubscribeMessage } from '@nestjs/websockets';
import { Payload } from '../common/validation';
import { DataOf, Live, LIVE, PayloadOf } from '../protocol';
import { ParleyNamespace, ParleySocket } from '../realtime/events';
import { RealtimeGateway } from '../realtime/realtime-gateway.decorator';
import { RealtimeService } from '../realtime/realtime.service';
import { LiveService } from './live.service';

type LiveSocket = ParleySocket<Live>;
const { client } = LIVE;

/** `/live`: any authenticated user (the handshake of /chat); rules live in LiveService. */
@RealtimeGateway('/live')
export class LiveGateway implements OnGatewayInit {
  constructor(
    private readonly realtime: RealtimeService,
    private readonly live: LiveService,
  ) {}

  afterInit(nsp: ParleyNamespace<Live>): void {
    this.realtime.attach(nsp, { notifications: true });
    this.live.attach(nsp);
  }

  @SubscribeMessage('channel:subscribe')
  subscribe(
    @ConnectedSocket() socket: LiveSocket,
    @Payload(client['channel:subscribe'].payload) dto: PayloadOf<Live, 'channel:subscribe'>,
  ): Promise<DataOf<Live, 'channel:subscribe'>> {
    return this.live.subscribe(socket, dto.channel, dto.since, dto.token);
  }

  @SubscribeMessage('channel:unsubscribe')
  unsubscribe(@ConnectedSocket() socket: LiveSocket, @Payload(client['channel:unsubscribe'].payload) dto: PayloadOf<Live, 'channel:unsubscribe'>) {
    return this.live.unsubscribe(socket, dto.channel);
  }

  @SubscribeMessage('auth:refresh')
  async refresh(@ConnectedSocket() socket: LiveSocket, @Payload(client['auth:refresh'].payload) dto: PayloadOf<Live, 'auth:refresh'>) {
    const answer = await this.realtime.refresh(socket, dto.token);
    await this.live.recheck(socket, socket.data.user);
    return answer;
  }
}
