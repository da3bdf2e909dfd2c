import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentUser } from '../auth/decorators';
import { Principal } from '../auth/principal';
import { ApiAnswer, ApiErrors, ApiQuerySchema } from '../common/api-docs';
import { SchemaPipe } from '../common/validation';
import { HistoryQuery, MessagePage } from '../protocol';
import { MessagesService } from './messages.service';
import { assertCanRead } from './rooms';

@ApiTags('rooms')
@Controller('rooms')
export class RoomsController {
  constructor(private readonly messages: MessagesService) {}

  @ApiOperation({ summary: 'A page of history, oldest first' })
  @Get(':room/messages')
  @ApiQuerySchema(HistoryQuery)
  @ApiAnswer(200, MessagePage, 'Oldest first; `hasMore` when older messages exist')
  @ApiErrors([400, 'Invalid room name, limit or before'], [403, 'A room the caller may not read'])
  history(@CurrentUser() user: Principal, @Param('room') roomName: string, @Query(new SchemaPipe(HistoryQuery)) query: HistoryQuery): Promise<MessagePage> {
    const room = assertCanRead(roomName, user);
    return this.messages.page(room.name, query.before, query.limit);
  }
}
