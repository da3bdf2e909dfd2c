import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query, Req, Res } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { ApiAnswer, ApiBodySchema, ApiErrors, ApiQuerySchema } from '../common/api-docs';
import { ApiKeyRoute } from '../common/route-metadata';
import { SchemaPipe } from '../common/validation';
import {
  ApiPostMessageBody,
  ApiStats,
  BlockBody,
  ChannelToken,
  ChannelTokenBody,
  HistoryQuery,
  Message,
  MessagePage,
  NotificationBody,
  OnlineList,
  PublicationBody,
  PublicationCreated,
  RoleBody,
  Static,
  User,
} from '../protocol';
import { ApiRequest } from './api-key.guard';
import { ApiKeyPrincipal } from './api-keys.service';
import { ServerApiService } from './server-api.service';

const keyOf = (request: ApiRequest): ApiKeyPrincipal => request.apiKey as ApiKeyPrincipal;

/** `/api/v1`: for other backends, with an API key (thin: ServerApiService does the work). */
@ApiTags('server API')
@Controller('api/v1')
export class ServerApiController {
  constructor(private readonly api: ServerApiService) {}

  @ApiOperation({ summary: "Post a message as the key's bot" })
  @ApiKeyRoute('messages')
  @Post('rooms/:room/messages')
  @ApiBodySchema(ApiPostMessageBody)
  @ApiAnswer(201, Message, 'Stored and delivered; sender `{ id: "bot:<keyId>", displayName: <key name> }`')
  @ApiAnswer(200, Message, 'A repeated clientMsgId from this key: the first message, nothing new stored')
  @ApiErrors([400, 'Invalid room name or body'], 403, 429)
  async postMessage(
    @Req() request: ApiRequest,
    @Res({ passthrough: true }) response: Response,
    @Param('room') room: string,
    @Body(new SchemaPipe(ApiPostMessageBody)) body: Static<typeof ApiPostMessageBody>,
  ): Promise<Message> {
    const { message, created } = await this.api.postMessage(keyOf(request), room, body.body, body.clientMsgId);
    response.status(created ? 201 : 200);
    return message;
  }

  @ApiOperation({ summary: 'Delete any message (moderation)' })
  @ApiKeyRoute('messages')
  @Delete('rooms/:room/messages/:id')
  @HttpCode(204)
  @ApiAnswer(204, undefined, 'Deleted (a tombstone stays); `message:deleted` to the room')
  @ApiErrors([400, 'Invalid room name'], 403, [404, 'No such message in this room'], 429)
  deleteMessage(@Param('room') room: string, @Param('id') id: string): Promise<void> {
    return this.api.deleteMessage(room, id);
  }

  @ApiOperation({ summary: 'Notify every socket of a user (/chat and /live)' })
  @ApiKeyRoute('notify')
  @Post('users/:id/notifications')
  @HttpCode(202)
  @ApiBodySchema(NotificationBody)
  @ApiAnswer(202, undefined, '`notification { type, data, at }` to every socket of the user, on every node; nothing is kept')
  @ApiErrors([400, 'Invalid type, or data over 16 KiB'], 403, [404, 'No such user'], 429)
  notify(@Param('id') userId: string, @Body(new SchemaPipe(NotificationBody)) body: Static<typeof NotificationBody>): Promise<void> {
    return this.api.notify(userId, body.type, body.data);
  }

  @ApiOperation({ summary: 'Publish on a /live channel' })
  @ApiKeyRoute('notify')
  @Post('channels/:channel/publications')
  @ApiBodySchema(PublicationBody)
  @ApiAnswer(201, PublicationCreated, 'Stored in the channel history, then sent to its subscribers')
  @ApiAnswer(200, PublicationCreated, 'A repeated idempotencyKey on this channel within 5 minutes: the first offset; nothing published')
  @ApiErrors([400, 'Invalid channel name, or data over 16 KiB'], 403, 429)
  async publish(
    @Res({ passthrough: true }) response: Response,
    @Param('channel') channel: string,
    @Body(new SchemaPipe(PublicationBody)) body: Static<typeof PublicationBody>,
  ): Promise<PublicationCreated> {
    const { answer, created } = await this.api.publish(channel, body.data, body.idempotencyKey);
    response.status(created ? 201 : 200);
    return answer;
  }

  @ApiOperation({ summary: 'A channel token: lets one user subscribe to one private: channel' })
  @ApiKeyRoute('notify')
  @Post('channels/:channel/tokens')
  @ApiBodySchema(ChannelTokenBody)
  @ApiAnswer(201, ChannelToken)
  @ApiErrors([400, 'Not a private: channel, or ttl outside 30s…24h'], 403, [404, 'No such user'], 429)
  channelToken(
    @Param('channel') channel: string,
    @Body(new SchemaPipe(ChannelTokenBody)) body: Static<typeof ChannelTokenBody>,
  ): Promise<ChannelToken> {
    return this.api.channelToken(channel, body.userId, body.ttl);
  }

  @ApiOperation({ summary: 'Block a user' })
  @ApiKeyRoute('users')
  @Put('users/:id/block')
  @HttpCode(204)
  @ApiBodySchema(BlockBody)
  @ApiAnswer(204, undefined, 'Every session ends (`session:revoked { reason: "blocked" }`); login, refresh and handshakes are refused')
  @ApiErrors(400, 403, [404, 'No such user'], 429)
  block(@Param('id') userId: string, @Body(new SchemaPipe(BlockBody)) body: Static<typeof BlockBody>): Promise<void> {
    return this.api.block(userId, body.reason);
  }

  @ApiOperation({ summary: 'Unblock a user' })
  @ApiKeyRoute('users')
  @Delete('users/:id/block')
  @HttpCode(204)
  @ApiAnswer(204, undefined, 'The user may sign in again')
  @ApiErrors(403, [404, 'No such user'], 429)
  unblock(@Param('id') userId: string): Promise<void> {
    return this.api.unblock(userId);
  }

  @ApiOperation({ summary: "Change a user's role" })
  @ApiKeyRoute('users')
  @Put('users/:id/role')
  @ApiBodySchema(RoleBody)
  @ApiAnswer(200, User, 'Tokens issued afterwards carry the new role')
  @ApiErrors(400, 403, [404, 'No such user'], 429)
  setRole(@Param('id') userId: string, @Body(new SchemaPipe(RoleBody)) body: Static<typeof RoleBody>): Promise<User> {
    return this.api.setRole(userId, body.role);
  }

  @ApiOperation({ summary: 'Who is in a room, on every node' })
  @ApiKeyRoute('read')
  @Get('rooms/:room/presence')
  @ApiAnswer(200, OnlineList)
  @ApiErrors([400, 'Invalid room name'], 403, 429)
  presence(@Param('room') room: string): Promise<OnlineList> {
    return this.api.presenceOf(room);
  }

  @ApiOperation({ summary: 'A page of history of any room' })
  @ApiKeyRoute('read')
  @Get('rooms/:room/messages')
  @ApiQuerySchema(HistoryQuery)
  @ApiAnswer(200, MessagePage, 'The same page as GET /rooms/:room/messages')
  @ApiErrors([400, 'Invalid room name, limit or before'], 403, 429)
  history(@Param('room') room: string, @Query(new SchemaPipe(HistoryQuery)) query: HistoryQuery): Promise<MessagePage> {
    return this.api.history(room, query.before, query.limit);
  }

  @ApiOperation({ summary: 'Connections, online users and messages per minute, per node and in total' })
  @ApiKeyRoute('read')
  @Get('stats')
  @ApiAnswer(200, ApiStats)
  @ApiErrors(403, 429)
  stats(): Promise<ApiStats> {
    return this.api.statistics();
  }
}
