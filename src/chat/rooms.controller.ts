import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiForbiddenResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { CurrentUser } from '../auth/decorators';
import { Principal } from '../auth/principal';
import { HistoryQuery } from './chat.dto';
import { MessagePage } from './message.view';
import { MessagesService } from './messages.service';
import { assertCanRead } from './rooms';

@ApiTags('rooms')
@ApiBearerAuth()
@Controller('rooms')
export class RoomsController {
  constructor(private readonly messages: MessagesService) {}

  @Get(':room/messages')
  @ApiOkResponse({ type: MessagePage, description: 'Oldest first; `hasMore` when older messages exist' })
  @ApiForbiddenResponse({ description: 'A DM room that is not the caller’s' })
  history(@CurrentUser() user: Principal, @Param('room') roomName: string, @Query() query: HistoryQuery): Promise<MessagePage> {
    const room = assertCanRead(roomName, user);
    return this.messages.page(room.name, query.before, query.limit);
  }
}
