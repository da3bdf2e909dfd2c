import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { UserSummary } from '../users/user.view';
import { MessageEntity } from './message.entity';

/** Contract `Message`. */
export class MessageView {
  @ApiProperty() id!: string;
  @ApiProperty() room!: string;
  @ApiProperty() body!: string;
  @ApiProperty({ type: UserSummary }) sender!: UserSummary;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiPropertyOptional() clientMsgId?: string;

  static of(message: MessageEntity, senderName: string): MessageView {
    const view: MessageView = {
      id: message.id,
      room: message.room,
      body: message.body,
      sender: { id: message.senderId, displayName: senderName },
      createdAt: message.createdAt.toISOString(),
    };
    if (message.clientMsgId !== null) view.clientMsgId = message.clientMsgId;
    return view;
  }
}

export class MessagePage {
  @ApiProperty({ type: MessageView, isArray: true }) messages!: MessageView[];
  @ApiProperty({ description: 'older messages exist' }) hasMore!: boolean;
}
