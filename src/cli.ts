import 'reflect-metadata';
import { INestApplicationContext, Logger, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { parseArgs } from 'node:util';
import { AppError } from './common/errors';
import { ConfigError } from './config/app-config';
import { AppConfigModule } from './config/config.module';
import { DatabaseModule } from './database/database.module';
import { MetricsModule } from './metrics/metrics.module';
import { API_KEY_SCOPES } from './protocol';
import { RedisModule } from './redis/redis.module';
import { ApiKeysModule } from './server-api/api-keys.module';
import { ApiKeysService, parseScopes } from './server-api/api-keys.service';
import { UsersModule } from './users/users.module';
import { UsersService } from './users/users.service';

const FOOTER = 'Uses the same configuration (DATABASE_URL, REDIS_URL, .env) as the server.';

interface Command {
  usage: string;
  summary: string;
  positionals: string[];
  options?: Record<string, { type: 'string' }>;
  run(app: INestApplicationContext, args: string[], options: Record<string, string | undefined>): Promise<string>;
}

const COMMANDS: Record<string, Command> = {
  'set-role': {
    usage: 'set-role <email> <role>',
    summary: "change a user's role (user | admin)",
    positionals: ['email', 'role'],
    async run(app, [email, role]) {
      const user = await app.get(UsersService).setRole(email, role);
      return `${user.email} is now ${user.role}. Tokens issued before keep the old role until they expire (at most JWT_ACCESS_TTL).`;
    },
  },
  'api-key create': {
    usage: `api-key create <name> [--scopes ${API_KEY_SCOPES.join(',')}]`,
    summary: 'create a server API key (printed once; scopes default to all four)',
    positionals: ['name'],
    options: { scopes: { type: 'string' } },
    async run(app, [name], options) {
      const scopes = options.scopes === undefined ? undefined : parseScopes(options.scopes);
      const { key, info } = await app.get(ApiKeysService).create(name, scopes);
      process.stderr.write(`API key ${info.id} "${info.name}" (scopes ${info.scopes.join(',')}). Keep it now: it is shown only once.\n`);
      return key;
    },
  },
  'api-key list': {
    usage: 'api-key list',
    summary: 'list API keys (never their secrets)',
    positionals: [],
    async run(app) {
      const keys = await app.get(ApiKeysService).list();
      const rows = keys.map((k) => [k.id, k.name, k.scopes.join(','), k.createdAt.toISOString(), k.revokedAt ? `revoked ${k.revokedAt.toISOString()}` : 'active']);
      return [['id', 'name', 'scopes', 'created', 'state'], ...rows].map((row) => row.join('\t')).join('\n');
    },
  },
  'api-key revoke': {
    usage: 'api-key revoke <id>',
    summary: 'revoke an API key (refused on every node within a second)',
    positionals: ['id'],
    async run(app, [id]) {
      const outcome = await app.get(ApiKeysService).revoke(id);
      if (outcome === 'unknown') throw new AppError('NOT_FOUND', `No API key ${id}`);
      return outcome === 'revoked' ? `API key ${id} revoked.` : `API key ${id} was already revoked.`;
    },
  },
};

const USAGE = `Usage: npm run cli -- <command>

Commands:
${Object.values(COMMANDS)
  .map((c) => `  ${c.usage}\n      ${c.summary}`)
  .join('\n')}

Every command answers --help. ${FOOTER}`;

@Module({ imports: [AppConfigModule.forRoot(), MetricsModule, RedisModule, DatabaseModule, UsersModule, ApiKeysModule] })
class CliModule {}

class UsageError extends Error {}

/** The command and its arguments, or a UsageError (exit 2). */
function parse(argv: string[]): { name: string; command: Command; args: string[]; options: Record<string, string | undefined> } | 'help' {
  const [first, second] = argv;
  if (first === undefined || first === 'help' || first === '--help' || first === '-h') return 'help';
  const name = COMMANDS[first] ? first : `${first} ${second ?? ''}`.trim();
  const command = COMMANDS[name];
  if (!command) throw new UsageError(`Unknown command: ${name}`);
  const rest = argv.slice(name.split(' ').length);
  let parsed;
  try {
    parsed = parseArgs({ args: rest, options: { ...command.options, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError(`${(error as Error).message}\nUsage: npm run cli -- ${command.usage}`);
  }
  if (parsed.values.help) throw Object.assign(new UsageError(`Usage: npm run cli -- ${command.usage}\n  ${command.summary}\n${FOOTER}`), { help: true });
  if (parsed.positionals.length !== command.positionals.length) {
    throw new UsageError(`Expected ${command.positionals.map((p) => `<${p}>`).join(' ') || 'no arguments'}\nUsage: npm run cli -- ${command.usage}`);
  }
  const options = Object.fromEntries(Object.keys(command.options ?? {}).map((key) => [key, (parsed.values as Record<string, unknown>)[key] as string | undefined]));
  return { name, command, args: parsed.positionals, options };
}

async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parse(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    const help = (error as UsageError & { help?: boolean }).help === true;
    (help ? process.stdout : process.stderr).write(`${error.message}\n`);
    return help ? 0 : 2;
  }
  if (parsed === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const app = await NestFactory.createApplicationContext(CliModule, { logger: ['error'] });
  try {
    process.stdout.write(`${await parsed.command.run(app, parsed.args, parsed.options)}\n`);
    return 0;
  } catch (error) {
    // a bad argument (unknown role, scope, empty name): the message and the usage, exit 2
    if (!(error instanceof AppError) || error.code !== 'VALIDATION_FAILED') throw error;
    process.stderr.write(`${error.message}\nUsage: npm run cli -- ${parsed.command.usage}\n`);
    return 2;
  } finally {
    await app.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof AppError || error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
    } else {
      new Logger('cli').error(error instanceof Error ? (error.stack ?? error.message) : String(error));
    }
    process.exit(1);
  },
);
