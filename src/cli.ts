import 'reflect-metadata';
import { parseArgs } from 'node:util';
import type { CommandName } from './cli-commands';
import { API_KEY_SCOPES } from './protocol';

/**
 * `npm run cli -- <command>`. Arguments are checked before anything else loads, so `--help`
 * and usage errors answer at once (exit 0 and 2); the commands themselves run in
 * cli-commands.ts, with the server's configuration.
 */

const SCOPES = API_KEY_SCOPES.join(',');
const FOOTER = 'Uses the same configuration (DATABASE_URL, REDIS_URL, .env) as the server.';

interface Command {
  usage: string;
  summary: string;
  positionals: string[];
  options?: Record<string, { type: 'string' }>;
}

const COMMANDS: Record<CommandName, Command> = {
  'set-role': { usage: 'set-role <email> <role>', summary: "change a user's role (user | admin)", positionals: ['email', 'role'] },
  'api-key create': {
    usage: `api-key create <name> [--scopes ${SCOPES}]`,
    summary: 'create a server API key (printed once; scopes default to all four)',
    positionals: ['name'],
    options: { scopes: { type: 'string' } },
  },
  'api-key list': { usage: 'api-key list', summary: 'list API keys (never their secrets)', positionals: [] },
  'api-key revoke': { usage: 'api-key revoke <id>', summary: 'revoke an API key (refused on every node within a second)', positionals: ['id'] },
};

const USAGE = `Usage: npm run cli -- <command>

Commands:
${Object.values(COMMANDS)
  .map((c) => `  ${c.usage}\n      ${c.summary}`)
  .join('\n')}

Every command answers --help. ${FOOTER}`;

type Parsed =
  | { kind: 'help'; text: string }
  | { kind: 'usage'; text: string }
  | { kind: 'run'; name: CommandName; args: string[]; options: Record<string, string | undefined> };

const usageOf = (command: Command) => `Usage: npm run cli -- ${command.usage}`;

function parseCommandLine(argv: string[]): Parsed {
  const [first, second] = argv;
  if (first === undefined || first === 'help' || first === '--help' || first === '-h') return { kind: 'help', text: USAGE };
  const name = (first in COMMANDS ? first : `${first} ${second ?? ''}`.trim()) as CommandName;
  const command = COMMANDS[name];
  if (!command) return { kind: 'usage', text: `Unknown command: ${name}\n\n${USAGE}` };
  let parsed;
  try {
    parsed = parseArgs({
      args: argv.slice(name.split(' ').length),
      options: { ...command.options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    return { kind: 'usage', text: `${(error as Error).message}\n${usageOf(command)}` };
  }
  if (parsed.values.help) return { kind: 'help', text: `${usageOf(command)}\n  ${command.summary}\n${FOOTER}` };
  if (parsed.positionals.length !== command.positionals.length) {
    return { kind: 'usage', text: `Expected ${command.positionals.map((p) => `<${p}>`).join(' ') || 'no arguments'}\n${usageOf(command)}` };
  }
  const values = parsed.values as Record<string, unknown>;
  const options = Object.fromEntries(Object.keys(command.options ?? {}).map((key) => [key, values[key] as string | undefined]));
  return { kind: 'run', name, args: parsed.positionals, options };
}

async function main(argv: string[]): Promise<number> {
  const parsed = parseCommandLine(argv);
  if (parsed.kind === 'help') {
    process.stdout.write(`${parsed.text}\n`);
    return 0;
  }
  if (parsed.kind === 'usage') {
    process.stderr.write(`${parsed.text}\n`);
    return 2;
  }
  const { runCommand } = await import('./cli-commands');
  const result = await runCommand(parsed.name, parsed.args, parsed.options);
  if ('usage' in result) {
    process.stderr.write(`${result.usage}\n${usageOf(COMMANDS[parsed.name])}\n`);
    return 2;
  }
  process.stdout.write(`${result.output}\n`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    // AppError (unknown email, unknown key), ConfigError, an unreachable database: their message is for the operator
    const name = (error as { name?: unknown } | null)?.name;
    if (name === 'AppError' || name === 'ConfigError' || name === 'DependencyUnreachableError') process.stderr.write(`${(error as Error).message}\n`);
    else process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
