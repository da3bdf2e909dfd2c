import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiAnswer, ApiErrors, ApiQuerySchema } from '../common/api-docs';
import { SchemaPipe } from '../common/validation';
import { LIMITS, Static, UserList, UserSummary, UsersQuery } from '../protocol';
import { UsersService } from './users.service';

/** People, by name (bearer): so clients pick users without typing ids. Never an email. */
@ApiTags('users')
@Controller('users')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @ApiOperation({ summary: 'Find people whose display name starts with q' })
  @Get()
  @ApiQuerySchema(UsersQuery)
  @ApiAnswer(200, UserList, `At most ${LIMITS.userSearch}, ordered by display name`)
  @ApiErrors([400, 'q missing or longer than 50 characters'], 401)
  async search(@Query(new SchemaPipe(UsersQuery)) query: Static<typeof UsersQuery>): Promise<UserList> {
    return { users: await this.users.searchByDisplayName(query.q, LIMITS.userSearch) };
  }

  @ApiOperation({ summary: 'One user by id' })
  @Get(':id')
  @ApiAnswer(200, UserSummary)
  @ApiErrors(401, [404, 'No such user'])
  get(@Param('id') id: string): Promise<UserSummary> {
    return this.users.getSummary(id);
  }
}
