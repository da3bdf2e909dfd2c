import { INestApplicationContext, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AppError } from './common/errors';
import { AppConfigModule, loadConfig } from './config/config.module';
import { DatabaseModule } from './database/database.module';
import { MetricsModule } from './metrics/metrics.module';
import { RedisModule } from './redis/redis.module';
import { ApiKeysModule } from './server-api/api-keys.module';
import { ApiKeysService, parseScopes } from './server-api/api-keys.service';
import { UsersModule } from './users/users.module';
import { UsersService } from './users/users.service';

/** What the CLI's commands do, in an application context (loaded only once the arguments are known good). */

@Module({})
class CliModule {}

export type CommandName = 'set-role' | 'api-key create' | 'api-key list' | 'api-key revoke';

const RUN: Record<CommandName, (app: INestApplicationContext, args: string[], options: Record<string, string | undefined>) => Promise<string>> = {
  async 'set-role'(app, [email, role]) {
    const user = await app.get(UsersService).setRole(email, role);
    return `${user.email} is now ${user.role}. Tokens issued before keep the old role until they expire (at most JWT_ACCESS_TTL).`;
  },
  async 'api-key create'(app, [name], options) {
    const scopes = options.scopes === undefined ? undefined : parseScopes(options.scopes);
    const { key, info } = await app.get(ApiKeysService).create(name, scopes);
    process.stderr.write(`API key ${info.id} "${info.name}" (scopes ${info.scopes.join(',')}). Keep it now: it is shown only once.\n`);
    return key;
  },
  async 'api-key list'(app) {
    const keys = await app.get(ApiKeysService).list();
    const rows = keys.map((k) => [
      k.id,
      k.name,
      k.scopes.join(','),
      k.createdAt.toISOString(),
      k.revokedAt ? `revoked ${k.revokedAt.toISOString()}` : 'active',
    ]);
    return [['id', 'name', 'scopes', 'created', 'state'], ...rows].map((row) => row.join('\t')).join('\n');
  },
  async 'api-key revoke'(app, [id]) {
    const outcome = await app.get(ApiKeysService).revoke(id);
    if (outcome === 'unknown') throw new AppError('NOT_FOUND', `No API key ${id}`);
    return outcome === 'revoked' ? `API key ${id} revoked.` : `API key ${id} was already revoked.`;
  },
};

/** Runs the command; 'usage' when an argument turned out invalid (unknown role or scope, empty name). */
export async function runCommand(
  name: CommandName,
  args: string[],
  options: Record<string, string | undefined>,
): Promise<{ output: string } | { usage: string }> {
  const config = await loadConfig();
  const app = await NestFactory.createApplicationContext(
    { module: CliModule, imports: [AppConfigModule.forRoot(config), MetricsModule, RedisModule, DatabaseModule, UsersModule, ApiKeysModule] },
    { logger: ['error'] },
  );
  try {
    return { output: await RUN[name](app, args, options) };
  } catch (error) {
    if (error instanceof AppError && error.code === 'VALIDATION_FAILED') return { usage: error.message };
    throw error;
  } finally {
    await app.close();
  }
}
