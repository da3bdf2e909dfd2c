import { applyDecorators } from '@nestjs/common';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsBoolean, IsInt, IsOptional, IsString, Length, Matches, Max, Min } from 'class-validator';
import { ID_PATTERN } from '../common/ids';

const MESSAGE_ID = { message: '$property must be a message id' };

/** Shape only; the naming rules (public name or `dm:` room) are checked in rooms.ts. */
const IsRoomName = () => applyDecorators(IsString(), Length(1, 64));

export class RoomDto {
  @IsRoomName()
  room!: string;
}

export class JoinRoomDto extends RoomDto {
  @IsOptional()
  @IsString()
  @Matches(ID_PATTERN, MESSAGE_ID)
  since?: string;
}

/** What every sent message carries, to a room or to a user. */
class MessageContentDto {
  @IsString()
  @Length(1, 4000)
  @Matches(/\S/, { message: 'body must not be blank' })
  body!: string;

  @IsOptional()
  @IsString()
  @Length(1, 64)
  clientMsgId?: string;
}

export class SendMessageDto extends MessageContentDto {
  @IsRoomName()
  room!: string;
}

export class HistoryQuery {
  @ApiPropertyOptional({ description: 'a message id: the page ends just before it' })
  @IsOptional()
  @IsString()
  @Matches(ID_PATTERN, MESSAGE_ID)
  before?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 100, default: 50 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  limit?: number;
}

export class HistoryDto extends HistoryQuery {
  @IsRoomName()
  room!: string;
}

export class DirectMessageDto extends MessageContentDto {
  @IsString()
  @Length(1, 64)
  to!: string;
}

export class TypingDto extends RoomDto {
  @IsBoolean()
  typing!: boolean;
}

export class AuthRefreshDto {
  @IsString()
  @Length(1, 4096)
  token!: string;
}
