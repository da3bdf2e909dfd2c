import { Controller, Get, Header } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiAnswer } from '../common/api-docs';
import { Public } from '../common/route-metadata';
import { Jwks, Static } from '../protocol';
import { LocalKeys } from './local-keys';

@ApiTags('keys')
@Controller('.well-known')
export class JwksController {
  constructor(private readonly keys: LocalKeys) {}

  @ApiOperation({ summary: "The public keys that verify Parley's access tokens (none under HS256)" })
  @Public()
  @Get('jwks.json')
  @Header('Cache-Control', 'public, max-age=300')
  @ApiAnswer(200, Jwks, 'Current and previous public keys, each with kid, alg and use: "sig"')
  jwks(): Static<typeof Jwks> {
    return this.keys.jwks();
  }
}
