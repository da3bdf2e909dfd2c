import 'reflect-metadata';
import { Logger, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AppError } from './common/errors';
import { DependencyUnreachableError } from './startup/wait-for';
import { ConfigError } from './config/app-config';
import { AppConfigModule, loadConfig } from './config/config.module';
import { DatabaseModule } from './database/database.module';
import { UsersModule } from './users/users.module';
import { UsersService } from './users/users.service';

const USAGE = `Usage: npm run cli -- <command>

Commands:
  set-role <email> <role>   change a user's role (user | admin)

Uses the same configuration (DATABASE_URL, .env) as the server.`;

@Module({})
class CliModule {}

async function main(argv: string[]): Promise<number> {
  const [command, ...args] = argv;
  if (command !== 'set-role' || args.length !== 2) {
    process.stderr.write(`${USAGE}\n`);
    return command === undefined || command === 'help' || command === '--help' ? 0 : 2;
  }
  const config = await loadConfig();
  const app = await NestFactory.createApplicationContext(
    { module: CliModule, imports: [AppConfigModule.forRoot(config), DatabaseModule, UsersModule] },
    { logger: ['error'] },
  );
  try {
    const user = await app.get(UsersService).setRole(args[0], args[1]);
    process.stdout.write(`${user.email} is now ${user.role}. Tokens issued before keep the old role until they expire (at most JWT_ACCESS_TTL).\n`);
    return 0;
  } finally {
    await app.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof AppError || error instanceof ConfigError || error instanceof DependencyUnreachableError) {
      process.stderr.write(`${error.message}\n`);
    } else {
      new Logger('cli').error(error instanceof Error ? (error.stack ?? error.message) : String(error));
    }
    process.exit(1);
  },
);
