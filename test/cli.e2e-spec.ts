import { execFile } from 'node:child_process';
import { join } from 'node:path';
import request from 'supertest';
import { DATABASES, startApp, testEnv, TestApp, Env } from './support/app';
import { sleep } from './support/clients';

const ROOT = join(__dirname, '..');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** `npm run cli -- …` from the sources (ts-node, no build), with the server's environment. */
function cli(env: Env, ...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['-r', 'ts-node/register/transpile-only', 'src/cli.ts', ...args],
      { cwd: ROOT, env: { ...process.env, ...env, TS_NODE_PROJECT: join(ROOT, 'tsconfig.json') }, timeout: 60_000 },
      (error, stdout, stderr) => resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
    );
  });
}

/** One at a time: each is a Node process compiling TypeScript. */
async function inTurn(runs: Array<() => Promise<Run>>): Promise<Run[]> {
  const results: Run[] = [];
  for (const run of runs) results.push(await run());
  return results;
}

async function within(ms: number, probe: () => Promise<boolean>): Promise<boolean> {
  const started = Date.now();
  while (Date.now() - started < ms) {
    if (await probe()) return true;
    await sleep(25);
  }
  return false;
}

describe('npm run cli', () => {
  let env: Env;
  let t: TestApp;

  beforeAll(async () => {
    env = testEnv(await DATABASES[0].url());
    t = await startApp(env);
  });
  afterAll(() => t?.close());

  it('answers --help for the whole CLI and for every command, exit 0', async () => {
    const runs = await Promise.all([
      cli(env, '--help'),
      cli(env),
      cli(env, 'set-role', '--help'),
      cli(env, 'api-key', 'create', '--help'),
      cli(env, 'api-key', 'list', '-h'),
      cli(env, 'api-key', 'revoke', '--help'),
    ]);
    expect(runs.map((r) => r.code)).toEqual([0, 0, 0, 0, 0, 0]);
    for (const command of [
      'set-role <email> <role>',
      'api-key create <name> [--scopes messages,notify,users,read]',
      'api-key list',
      'api-key revoke <id>',
    ]) {
      expect(runs[0].stdout).toContain(command);
    }
    expect(runs[3].stdout).toContain('Usage: npm run cli -- api-key create <name> [--scopes');
    expect(runs[5].stdout).toContain('Usage: npm run cli -- api-key revoke <id>');
  }, 90_000);

  it('answers bad commands, flags and arguments with the usage and exit 2, changing nothing', async () => {
    const runs = await inTurn([
      () => cli(env, 'frobnicate'),
      () => cli(env, 'api-key'),
      () => cli(env, 'api-key', 'rotate', 'x'),
      () => cli(env, 'api-key', 'create'),
      () => cli(env, 'api-key', 'create', 'bot', '--bogus'),
      () => cli(env, 'api-key', 'create', 'bot', '--scopes', 'messages,admin'),
      () => cli(env, 'api-key', 'create', 'bot', '--scopes'),
      () => cli(env, 'api-key', 'create', ' ', '--scopes', 'read'),
      () => cli(env, 'api-key', 'list', 'extra'),
      () => cli(env, 'api-key', 'revoke'),
      () => cli(env, 'set-role', 'only-one-argument'),
      () => cli(env, 'set-role', 'someone@example.test', 'superuser'),
    ]);
    expect(runs.map((r) => r.code)).toEqual(Array(runs.length).fill(2));
    for (const run of runs) {
      expect(run.stderr).toMatch(/Usage: npm run cli --/);
      expect(run.stdout).not.toMatch(/pk_/);
    }
    const list = await cli(env, 'api-key', 'list');
    expect(list.stdout.trim().split('\n')).toHaveLength(1); // the header: nothing was created
  }, 120_000);

  it('creates a key (printed once), lists it without its secret, revokes it: the server follows within a second', async () => {
    const created = await cli(env, 'api-key', 'create', 'CLI bot', '--scopes', 'read,notify');
    expect(created.code).toBe(0);
    const key = created.stdout.trim();
    const [, id, secret] = /^pk_([A-Za-z0-9]+)_([A-Za-z0-9_-]+)$/.exec(key) ?? [];
    expect(id).toBeDefined();
    expect(secret.length).toBeGreaterThanOrEqual(43); // 256 bits
    const auth = { Authorization: `Bearer ${key}` };
    expect(await within(1000, async () => (await request(t.url).get('/api/v1/stats').set(auth)).status === 200)).toBe(true);
    // its scopes, and only them
    await request(t.url).put('/api/v1/users/x/role').set(auth).send({ role: 'user' }).expect(403);

    const list = await cli(env, 'api-key', 'list');
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(new RegExp(`^${id}\\tCLI bot\\tread,notify\\t\\S+\\tactive$`, 'm'));
    expect(list.stdout).not.toContain(secret);

    const revoked = await cli(env, 'api-key', 'revoke', id);
    expect([revoked.code, revoked.stdout.trim()]).toEqual([0, `API key ${id} revoked.`]);
    const started = Date.now();
    expect(await within(1000, async () => (await request(t.url).get('/api/v1/stats').set(auth)).status === 401)).toBe(true);
    expect(Date.now() - started).toBeLessThan(1000);
    expect((await cli(env, 'api-key', 'list')).stdout).toMatch(new RegExp(`^${id}\\tCLI bot\\t.*\\trevoked \\S+$`, 'm'));
    expect(await cli(env, 'api-key', 'revoke', id)).toMatchObject({ code: 0, stdout: `API key ${id} was already revoked.\n` });
    expect(await cli(env, 'api-key', 'revoke', 'nosuchkey')).toMatchObject({ code: 1, stderr: 'No API key nosuchkey\n' });
    // the default: all four scopes
    const all = await cli(env, 'api-key', 'create', 'Everything');
    expect((await cli(env, 'api-key', 'list')).stdout).toMatch(/\tEverything\tmessages,notify,users,read\t/);
    expect(all.stdout).toMatch(/^pk_/);
    expect(await cli(env, 'set-role', 'nobody@example.test', 'admin')).toMatchObject({ code: 1, stderr: 'No user with email nobody@example.test\n' });
  }, 120_000);
});
