import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { Env } from './app';
import { sleep } from './clients';

const ROOT = join(__dirname, '..', '..');
let nextPort = 30_000 + ((process.pid * 7) % 20_000);

export interface ServerProcess {
  child: ChildProcess;
  url: string;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  /** Resolves with the exit code (or signal name). */
  exited: Promise<number | string>;
}

/** Runs Parley from its sources as a separate process (ts-node, no build needed); does not wait. */
export function spawnServerProcess(env: Env): ServerProcess {
  const port = nextPort++;
  const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', 'src/main.ts'], {
    cwd: ROOT,
    env: { ...process.env, ...env, PORT: String(port), TS_NODE_PROJECT: join(ROOT, 'tsconfig.json') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')));
  return { child, url: `http://127.0.0.1:${port}`, output: () => output, exited };
}

/** Runs Parley from its sources as a separate process and waits until `/health` answers 200. */
export async function startServerProcess(env: Env): Promise<ServerProcess> {
  const server = spawnServerProcess(env);
  for (let i = 0; i < 150 && server.child.exitCode === null; i++) {
    if (await fetch(`${server.url}/health`).then((r) => r.ok, () => false)) return server;
    await sleep(200);
  }
  server.child.kill('SIGKILL');
  throw new Error(`server did not start:\n${server.output()}`);
}

/** SIGKILLs every given server that is still running and waits until each has exited. */
export async function killServers(...servers: Array<ServerProcess | undefined>): Promise<void> {
  for (const server of servers) {
    if (server && server.child.exitCode === null && server.child.signalCode === null) {
      server.child.kill('SIGKILL');
      await server.exited;
    }
  }
}
